// The little XML S3 responses need: text of named elements, entity-decoded.
// Not a general parser: no namespaces prefixes, CDATA or DTDs (S3 sends none).
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace safekeep::s3 {

// Inner XML of every <tag ...>...</tag> (or "" for <tag/>) in document order,
// undecoded, for elements that contain others (Contents, Error).
std::vector<std::string> xml_blocks(const std::string &xml, const std::string &tag);

// Decoded text of the first <tag>, if any.
std::optional<std::string> xml_text(const std::string &xml, const std::string &tag);

// &amp; &lt; &gt; &quot; &apos; &#N; &#xH; decoded (numeric ones to UTF-8);
// an unknown entity is kept as is.
std::string xml_decode(const std::string &s);
// & < > " ' escaped, for request bodies.
std::string xml_escape(const std::string &s);

// An S3 error document: <Error><Code>..</Code><Message>..</Message></Error>.
struct S3ErrorDoc {
    std::string code, message;
};
// Empty fields when body is not one.
S3ErrorDoc parse_error(const std::string &body);

struct ListedObject {
    std::string key;
    unsigned long long size = 0;
    double mtime = 0; // LastModified as Unix seconds; 0 when absent or unreadable
};
struct ListPage {
    std::vector<ListedObject> objects;
    std::vector<std::string> prefixes; // CommonPrefixes, when listed with a delimiter
    bool truncated = false;
    std::string next_token;
};
// A ListObjectsV2 result.
ListPage parse_list_page(const std::string &body);

} // namespace safekeep::s3
