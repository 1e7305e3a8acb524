#include "storage/s3/xml.h"

#include "util/date_time.h"
#include "util/error.h"

#include <cstdlib>

namespace safekeep::s3 {

namespace {

void append_utf8(std::string &out, unsigned long cp) {
    if (cp < 0x80) {
        out += static_cast<char>(cp);
    } else if (cp < 0x800) {
        out += static_cast<char>(0xC0 | (cp >> 6));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        out += static_cast<char>(0xE0 | (cp >> 12));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
        out += static_cast<char>(0xF0 | (cp >> 18));
        out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    }
}

// Finds the next start tag named tag at or after pos: "<tag>", "<tag attr=..>"
// or "<tag/>". Returns its '<' position or npos; sets content start and
// whether it is empty.
size_t find_open(const std::string &xml, const std::string &tag, size_t pos, size_t &content,
                 bool &empty) {
    const std::string open = "<" + tag;
    for (;;) {
        size_t p = xml.find(open, pos);
        if (p == std::string::npos)
            return p;
        size_t after = p + open.size();
        if (after < xml.size()) {
            char c = xml[after];
            if (c == '>' || c == '/' || c == ' ' || c == '\t' || c == '\r' || c == '\n') {
                size_t gt = xml.find('>', after);
                if (gt == std::string::npos)
                    return std::string::npos;
                empty = xml[gt - 1] == '/';
                content = gt + 1;
                return p;
            }
        }
        pos = after; // a longer name with the same start (<Key> vs <KeyCount>)
    }
}

} // namespace

std::vector<std::string> xml_blocks(const std::string &xml, const std::string &tag) {
    std::vector<std::string> out;
    const std::string close = "</" + tag + ">";
    size_t pos = 0, content = 0;
    bool empty = false;
    while (find_open(xml, tag, pos, content, empty) != std::string::npos) {
        if (empty) {
            out.emplace_back();
            pos = content;
            continue;
        }
        size_t end = xml.find(close, content);
        if (end == std::string::npos)
            throw Error("malformed XML from S3: <" + tag + "> is not closed");
        out.push_back(xml.substr(content, end - content));
        pos = end + close.size();
    }
    return out;
}

std::optional<std::string> xml_text(const std::string &xml, const std::string &tag) {
    const std::string close = "</" + tag + ">";
    size_t content = 0;
    bool empty = false;
    if (find_open(xml, tag, 0, content, empty) == std::string::npos)
        return std::nullopt;
    if (empty)
        return std::string();
    size_t end = xml.find(close, content);
    if (end == std::string::npos)
        throw Error("malformed XML from S3: <" + tag + "> is not closed");
    return xml_decode(xml.substr(content, end - content));
}

std::string xml_decode(const std::string &s) {
    std::string out;
    out.reserve(s.size());
    for (size_t i = 0; i < s.size(); i++) {
        size_t semi;
        if (s[i] != '&' || (semi = s.find(';', i)) == std::string::npos || semi - i > 10) {
            out += s[i];
            continue;
        }
        std::string ent = s.substr(i + 1, semi - i - 1);
        if (ent == "amp")
            out += '&';
        else if (ent == "lt")
            out += '<';
        else if (ent == "gt")
            out += '>';
        else if (ent == "quot")
            out += '"';
        else if (ent == "apos")
            out += '\'';
        else if (ent.size() > 1 && ent[0] == '#') {
            bool hex = ent[1] == 'x' || ent[1] == 'X';
            const char *digits = ent.c_str() + (hex ? 2 : 1);
            char *end = nullptr;
            unsigned long cp = std::strtoul(digits, &end, hex ? 16 : 10);
            if (*digits == '\0' || *end != '\0' || cp > 0x10FFFF) {
                out += s[i];
                continue;
            }
            append_utf8(out, cp);
        } else {
            out += s[i];
            continue;
        }
        i = semi;
    }
    return out;
}

std::string xml_escape(const std::string &s) {
    std::string out;
    out.reserve(s.size());
    for (char c : s) {
        switch (c) {
        case '&':
            out += "&amp;";
            break;
        case '<':
            out += "&lt;";
            break;
        case '>':
            out += "&gt;";
            break;
        case '"':
            out += "&quot;";
            break;
        case '\'':
            out += "&apos;";
            break;
        case '\r':
            out += "&#13;";
            break;
        case '\n':
            out += "&#10;";
            break;
        default:
            out += c;
        }
    }
    return out;
}

S3ErrorDoc parse_error(const std::string &body) {
    S3ErrorDoc e;
    auto blocks = xml_blocks(body, "Error");
    if (blocks.empty())
        return e;
    e.code = xml_text(blocks[0], "Code").value_or("");
    e.message = xml_text(blocks[0], "Message").value_or("");
    return e;
}

ListPage parse_list_page(const std::string &body) {
    ListPage page;
    // A cut-off answer must not pass for a shorter listing.
    if (body.find("</ListBucketResult>") == std::string::npos)
        throw Error("malformed ListObjectsV2 result: no </ListBucketResult>");
    for (const auto &c : xml_blocks(body, "Contents")) {
        auto key = xml_text(c, "Key");
        auto size = xml_text(c, "Size");
        if (!key || !size)
            throw Error("malformed ListObjectsV2 result: <Contents> without Key or Size");
        // A time we cannot read only leaves the time unknown.
        auto modified = parse_iso8601_utc(xml_text(c, "LastModified").value_or(""));
        page.objects.push_back(
            {*key, std::strtoull(size->c_str(), nullptr, 10), modified.value_or(0)});
    }
    for (const auto &c : xml_blocks(body, "CommonPrefixes")) {
        auto prefix = xml_text(c, "Prefix");
        if (!prefix)
            throw Error("malformed ListObjectsV2 result: <CommonPrefixes> without Prefix");
        page.prefixes.push_back(*prefix);
    }
    page.truncated = xml_text(body, "IsTruncated").value_or("false") == "true";
    page.next_token = xml_text(body, "NextContinuationToken").value_or("");
    return page;
}

} // namespace safekeep::s3
