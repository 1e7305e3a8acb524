#include "storage/s3/client.h"

#include "storage/s3/transport.h"
#include "storage/s3/upload_sink.h"
#include "storage/s3/xml.h"
#include "util/error.h"

#include <openssl/evp.h>

#include <algorithm>

namespace safekeep::s3 {

namespace {

constexpr size_t kDeleteBatch = 1000;

// Content-MD5 (base64 of the binary MD5): S3 requires it on DeleteObjects.
std::string content_md5(const std::string &body) {
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    if (!EVP_Digest(body.data(), body.size(), md, &len, EVP_md5(), nullptr))
        throw Error("MD5 failed");
    unsigned char b64[4 * ((EVP_MAX_MD_SIZE + 2) / 3) + 1];
    EVP_EncodeBlock(b64, md, static_cast<int>(len));
    return reinterpret_cast<char *>(b64);
}

} // namespace

Client::Client(Settings s) : s_(std::move(s)), t_(std::make_unique<Transport>(s_)) {}

Client::~Client() = default;

const Settings &Client::settings() const {
    return s_;
}

std::string Client::full_key(const std::string &key) const {
    if (s_.prefix.empty())
        return key;
    return key.empty() ? s_.prefix : s_.prefix + "/" + key;
}

std::string Client::url_of(const std::string &key) const {
    return "s3://" + s_.bucket + "/" + full_key(key);
}

void Client::put(const std::string &key, const uint8_t *data, size_t len) {
    if (len > s_.part_size) {
        UploadSink up(*t_, s_, full_key(key));
        up.write(data, len);
        up.finish();
        return;
    }
    Request r;
    r.method = "PUT";
    r.key = full_key(key);
    r.body = data;
    r.body_len = len;
    t_->perform(r);
}

bool Client::put_if_absent(const std::string &key, const uint8_t *data, size_t len) {
    if (len > s_.part_size)
        throw Error(url_of(key) +
                    ": an exclusive create is for small objects (at most the part size)");
    Request r;
    r.method = "PUT";
    r.key = full_key(key);
    r.headers = {{"if-none-match", "*"}};
    r.body = data;
    r.body_len = len;
    r.accept = {412};
    return t_->perform(r).status != 412;
}

std::vector<uint8_t> Client::get(const std::string &key) {
    std::vector<uint8_t> out;
    VectorSink sink(out);
    get_to(key, sink);
    return out;
}

void Client::get_to(const std::string &key, Sink &sink) {
    Request r;
    r.method = "GET";
    r.key = full_key(key);
    r.sink = &sink;
    t_->perform(r);
}

std::optional<uint64_t> Client::head(const std::string &key) {
    Request r;
    r.method = "HEAD";
    r.key = full_key(key);
    r.accept = {404};
    Response resp = t_->perform(r);
    if (resp.status == 404)
        return std::nullopt;
    if (!resp.content_length)
        throw Error(t_->describe(r) + ": no Content-Length in the answer");
    return resp.content_length;
}

void Client::remove(const std::vector<std::string> &keys) {
    for (size_t from = 0; from < keys.size(); from += kDeleteBatch) {
        size_t to = std::min(keys.size(), from + kDeleteBatch);
        std::string body = "<Delete><Quiet>true</Quiet>";
        for (size_t i = from; i < to; i++)
            body += "<Object><Key>" + xml_escape(full_key(keys[i])) + "</Key></Object>";
        body += "</Delete>";
        Request r;
        r.method = "POST";
        r.query = {{"delete", ""}};
        r.headers = {{"content-md5", content_md5(body)}};
        r.body = reinterpret_cast<const uint8_t *>(body.data());
        r.body_len = body.size();
        Response resp = t_->perform(r);
        auto errors = xml_blocks(resp.body, "Error");
        if (errors.empty())
            continue;
        std::string msg = "S3 DeleteObjects in s3://" + s_.bucket + " failed for " +
                          std::to_string(errors.size()) + " key(s):";
        for (size_t i = 0; i < errors.size() && i < 5; i++)
            msg += " " + xml_text(errors[i], "Key").value_or("?") + ": " +
                   xml_text(errors[i], "Code").value_or("") + " " +
                   xml_text(errors[i], "Message").value_or("") + ";";
        throw Error(msg);
    }
}

std::unique_ptr<Sink> Client::open_upload(const std::string &key) {
    return std::make_unique<UploadSink>(*t_, s_, full_key(key));
}

void Client::create_bucket() {
    std::string body;
    if (s_.region != "us-east-1")
        body = "<CreateBucketConfiguration><LocationConstraint>" + xml_escape(s_.region) +
               "</LocationConstraint></CreateBucketConfiguration>";
    Request r;
    r.method = "PUT";
    r.body = reinterpret_cast<const uint8_t *>(body.data());
    r.body_len = body.size();
    r.accept = {409};
    Response resp = t_->perform(r);
    if (resp.status != 409)
        return;
    S3ErrorDoc e = parse_error(resp.body);
    if (e.code == "BucketAlreadyOwnedByYou")
        return;
    // BucketAlreadyExists: someone's bucket. Fine if it is readable by us
    // (s3rver answers so for our own bucket).
    Request h;
    h.method = "HEAD";
    h.accept = {403, 404};
    if (t_->perform(h).status == 200)
        return;
    throw Error("S3 PUT s3://" + s_.bucket + " failed: 409 " + e.code + ": " + e.message);
}

} // namespace safekeep::s3
