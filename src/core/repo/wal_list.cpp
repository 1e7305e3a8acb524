#include "repo/wal_list.h"

#include "format/lsn.h"
#include "format/wal_name.h"

#include <algorithm>
#include <cstdlib>

namespace safekeep {

std::vector<WalObject> list_wal_objects(const RepoLayout &repo) {
    std::vector<WalObject> out;
    if (repo.stanza().empty())
        return out;
    const std::string root = repo.archive_key();
    // One recursive listing (one request per 1000 objects on S3).
    for (const auto &o : repo.store().list(root)) {
        size_t slash = o.key.find('/');
        std::string subdir = slash == std::string::npos ? "" : o.key.substr(0, slash);
        std::string base = slash == std::string::npos ? o.key : o.key.substr(slash + 1);
        WalObject w;
        if (base.find('/') != std::string::npos || !parse_wal_object_name(base, w.name, w.sha256))
            continue;
        if (wal_archive_subdir(w.name) != subdir)
            continue; // misplaced; archive-get would not find it either
        w.rel = "archive/" + o.key;
        w.key = key_join(root, o.key);
        w.size = o.size;
        w.mtime = o.mtime;
        out.push_back(std::move(w));
    }
    std::sort(out.begin(), out.end(),
              [](const WalObject &a, const WalObject &b) { return a.name < b.name; });
    return out;
}

} // namespace safekeep
