// One signed HTTP request to S3 with retries; a pool of curl easy handles so
// connections are reused, one handle per request in flight.
#pragma once

#include "io/sink.h"
#include "storage/s3/settings.h"
#include "storage/s3/sigv4.h"

#include <cstdint>
#include <memory>
#include <optional>
#include <mutex>
#include <string>
#include <vector>

namespace safekeep::s3 {

struct Request {
    std::string method; // GET PUT POST HEAD DELETE
    std::string key;    // full key inside the bucket; "" for the bucket itself
    Params query;
    Params headers; // extra headers, signed too
    const uint8_t *body = nullptr;
    size_t body_len = 0;
    Sink *sink = nullptr;     // a 2xx body goes here, else into Response::body
    std::vector<long> accept; // non-2xx statuses returned instead of thrown
};

struct Response {
    long status = 0;
    std::string body; // without a sink; error bodies are capped at 64 KiB
    std::string etag;
    std::optional<uint64_t> content_length;
};

class Transport {
  public:
    explicit Transport(const Settings &s);
    ~Transport();
    // Throws Error (NotFound for 404 NoSuchKey / NoSuchBucket unless accepted)
    // naming method, s3://bucket/key, status, S3's Code and Message.
    Response perform(const Request &r);
    // "S3 GET s3://bucket/key"
    std::string describe(const Request &r) const { return describe(r.method, r.key); }
    std::string describe(const std::string &method, const std::string &key) const;

  private:
    struct Handle;
    std::unique_ptr<Handle> acquire();
    void release(std::unique_ptr<Handle> h);
    // One try. Returns true when done (resp filled), false to retry
    // (why says why). Throws for errors not worth retrying.
    bool attempt(Handle &h, const Request &r, uint64_t &delivered, Response &resp,
                 std::string &why);
    void backoff(int attempt) const;

    const Settings &s_;
    Signer signer_;
    std::string scheme_, host_; // host[:port] of the endpoint, default port dropped
    std::mutex mu_;
    std::vector<std::unique_ptr<Handle>> pool_;
};

} // namespace safekeep::s3
