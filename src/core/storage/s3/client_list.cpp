// ListObjectsV2 for the client: the whole tree under a prefix, one level of it
// (delimiter '/', so a repository's thousands of WAL or data objects below a
// name are not fetched to learn the name), or whether it holds anything.
#include "storage/s3/client.h"

#include "storage/s3/transport.h"
#include "storage/s3/xml.h"
#include "util/error.h"

#include <algorithm>

namespace safekeep::s3 {

namespace {

bool by_key(const ObjectInfo &a, const ObjectInfo &b) {
    return a.key < b.key;
}

void take_objects(ListPage &page, std::vector<ObjectInfo> &out) {
    for (auto &o : page.objects)
        out.push_back(ObjectInfo{std::move(o.key), o.size, o.mtime});
}

} // namespace

void Client::list_pages(const std::string &prefix, const std::string &delimiter, int max_keys,
                        const std::function<bool(ListPage &)> &each) {
    // "a" lists a/... only when the caller says "a/"; the repository prefix
    // itself always ends in '/'.
    const std::string root = s_.prefix.empty() ? "" : s_.prefix + "/";
    const std::string where = "S3 list s3://" + s_.bucket + "/" + root + prefix;
    auto relative = [&](std::string &key) {
        if (key.compare(0, root.size() + prefix.size(), root + prefix) != 0)
            throw Error(where + ": answer holds a key outside the prefix: " + key);
        key.erase(0, root.size());
    };
    if (max_keys == 0)
        max_keys = s_.list_page_size;
    std::string token;
    for (;;) {
        Request r;
        r.method = "GET";
        r.query = {{"list-type", "2"}, {"prefix", root + prefix}};
        if (!delimiter.empty())
            r.query.emplace_back("delimiter", delimiter);
        if (max_keys != 1000)
            r.query.emplace_back("max-keys", std::to_string(max_keys));
        if (!token.empty())
            r.query.emplace_back("continuation-token", token);
        ListPage page = parse_list_page(t_->perform(r).body);
        for (auto &o : page.objects)
            relative(o.key);
        for (auto &p : page.prefixes)
            relative(p);
        if (!each(page) || !page.truncated)
            break;
        if (page.next_token.empty() || page.next_token == token)
            throw Error(where + ": truncated answer without a new continuation token");
        token = page.next_token;
    }
}

std::vector<ObjectInfo> Client::list(const std::string &prefix) {
    std::vector<ObjectInfo> out;
    list_pages(prefix, "", 0, [&](ListPage &page) {
        take_objects(page, out);
        return true;
    });
    std::sort(out.begin(), out.end(), by_key);
    return out;
}

Level Client::list_level(const std::string &prefix) {
    Level out;
    list_pages(prefix, "/", 0, [&](ListPage &page) {
        take_objects(page, out.objects);
        for (auto &p : page.prefixes)
            out.prefixes.push_back(std::move(p));
        return true;
    });
    std::sort(out.objects.begin(), out.objects.end(), by_key);
    // S3 gives each name once; s3rver again on every page that reaches its objects.
    std::sort(out.prefixes.begin(), out.prefixes.end());
    out.prefixes.erase(std::unique(out.prefixes.begin(), out.prefixes.end()), out.prefixes.end());
    return out;
}

bool Client::any(const std::string &prefix) {
    bool found = false;
    list_pages(prefix, "", 1, [&](ListPage &page) {
        found = !page.objects.empty();
        return false;
    });
    return found;
}

} // namespace safekeep::s3
