#include "storage/s3/multipart.h"

#include "storage/s3/xml.h"
#include "util/error.h"

namespace safekeep::s3 {

std::string initiate_multipart(Transport &t, const std::string &key) {
    Request r;
    r.method = "POST";
    r.key = key;
    r.query = {{"uploads", ""}};
    Response resp = t.perform(r);
    auto id = xml_text(resp.body, "UploadId");
    if (!id || id->empty())
        throw Error(t.describe(r) + " (initiate multipart upload): no UploadId in the answer");
    return *id;
}

std::string upload_part(Transport &t, const std::string &key, const std::string &upload_id,
                        int part, const uint8_t *data, size_t len) {
    Request r;
    r.method = "PUT";
    r.key = key;
    r.query = {{"partNumber", std::to_string(part)}, {"uploadId", upload_id}};
    r.body = data;
    r.body_len = len;
    Response resp = t.perform(r);
    if (resp.etag.empty())
        throw Error(t.describe(r) + " (part " + std::to_string(part) + "): no ETag in the answer");
    return resp.etag;
}

void complete_multipart(Transport &t, const std::string &key, const std::string &upload_id,
                        const std::vector<std::string> &etags) {
    std::string body = "<CompleteMultipartUpload>";
    for (size_t i = 0; i < etags.size(); i++)
        body += "<Part><PartNumber>" + std::to_string(i + 1) + "</PartNumber><ETag>" +
                xml_escape(etags[i]) + "</ETag></Part>";
    body += "</CompleteMultipartUpload>";
    Request r;
    r.method = "POST";
    r.key = key;
    r.query = {{"uploadId", upload_id}};
    r.body = reinterpret_cast<const uint8_t *>(body.data());
    r.body_len = body.size();
    Response resp = t.perform(r);
    S3ErrorDoc e = parse_error(resp.body);
    if (!e.code.empty())
        throw Error(t.describe(r) + " (complete multipart upload) failed: " +
                    std::to_string(resp.status) + " " + e.code + ": " + e.message);
}

void abort_multipart(Transport &t, const std::string &key, const std::string &upload_id) noexcept {
    try {
        Request r;
        r.method = "DELETE";
        r.key = key;
        r.query = {{"uploadId", upload_id}};
        r.accept = {404}; // already gone
        t.perform(r);
    } catch (...) {
    }
}

} // namespace safekeep::s3
