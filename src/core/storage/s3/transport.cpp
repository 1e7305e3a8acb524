#include "storage/s3/transport.h"

#include "io/sha256.h"
#include "net/curl_util.h"
#include "storage/s3/xml.h"
#include "util/error.h"
#include "os/stop.h"

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstring>
#include <ctime>
#include <exception>
#include <pthread.h>
#include <random>
#include <thread>

namespace safekeep::s3 {

struct Transport::Handle {
    CurlHandle curl;
    char err[CURL_ERROR_SIZE];
};

namespace {

constexpr size_t kErrorBodyLimit = 64 * 1024;

// What a body callback needs; lives for one attempt.
struct Transfer {
    CURL *curl = nullptr;
    const Request *req = nullptr;
    Response *resp = nullptr;
    uint64_t *delivered = nullptr; // body bytes handed to the sink over all attempts
    bool started = false;
    uint64_t skip = 0; // bytes to drop (a resumed GET answered with 200)
    bool to_sink = false;
    bool capped = false; // an error body: keep only its start
    std::exception_ptr sink_error;
    const uint8_t *in = nullptr; // upload body left to send
    size_t in_left = 0;
    // Signals stay blocked while curl connects: its threaded resolver starts
    // a thread that inherits our mask, and a signal meant for PostgreSQL's
    // thread must never land there. Restored once the connection is up.
    sigset_t old_mask;
    bool masked = false;
    bool stopped = false; // aborted by on_progress because stop_requested()
    void unmask() {
        if (masked)
            pthread_sigmask(SIG_SETMASK, &old_mask, nullptr);
        masked = false;
    }
};

int on_progress(void *userdata, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
    auto *t = static_cast<Transfer *>(userdata);
    curl_off_t connected = 0;
    if (t->masked &&
        curl_easy_getinfo(t->curl, CURLINFO_PRETRANSFER_TIME_T, &connected) == CURLE_OK &&
        connected > 0)
        t->unmask();
    // Called at least about once a second, also while a transfer stalls.
    if (stop_requested()) {
        t->stopped = true;
        return 1;
    }
    return 0;
}

size_t on_body(char *ptr, size_t size, size_t nmemb, void *userdata) {
    auto *t = static_cast<Transfer *>(userdata);
    size_t n = size * nmemb;
    if (!t->started) {
        t->started = true;
        long code = 0;
        curl_easy_getinfo(t->curl, CURLINFO_RESPONSE_CODE, &code);
        t->to_sink = t->req->sink && (code == 200 || code == 206);
        t->capped = code >= 300;
        t->skip = code == 200 ? *t->delivered : 0;
    }
    if (!t->to_sink) {
        size_t room =
            t->capped ? kErrorBodyLimit - std::min(kErrorBodyLimit, t->resp->body.size()) : n;
        t->resp->body.append(ptr, std::min(room, n));
        return n;
    }
    const uint8_t *p = reinterpret_cast<const uint8_t *>(ptr);
    size_t len = n;
    if (t->skip > 0) {
        size_t drop = static_cast<size_t>(std::min<uint64_t>(t->skip, len));
        t->skip -= drop;
        p += drop;
        len -= drop;
    }
    try {
        if (len > 0)
            t->req->sink->write(p, len);
    } catch (...) {
        // Never let an exception unwind through libcurl's C frames.
        t->sink_error = std::current_exception();
        return 0;
    }
    *t->delivered += len;
    return n;
}

size_t on_read(char *buf, size_t size, size_t nitems, void *userdata) {
    auto *t = static_cast<Transfer *>(userdata);
    size_t n = std::min(size * nitems, t->in_left);
    if (n > 0)
        std::memcpy(buf, t->in, n);
    t->in += n;
    t->in_left -= n;
    return n;
}

size_t on_header(char *buf, size_t size, size_t nitems, void *userdata) {
    auto *t = static_cast<Transfer *>(userdata);
    size_t n = size * nitems;
    std::string line(buf, n);
    size_t colon = line.find(':');
    if (colon != std::string::npos) {
        std::string name = line.substr(0, colon);
        std::transform(name.begin(), name.end(), name.begin(), ::tolower);
        if (name == "etag") {
            std::string v = line.substr(colon + 1);
            size_t b = v.find_first_not_of(" \t"), e = v.find_last_not_of(" \t\r\n");
            t->resp->etag = b == std::string::npos ? "" : v.substr(b, e - b + 1);
        }
    }
    return n;
}

// The requests that make a new object: PutObject and CreateMultipartUpload
// (not UploadPart, not the bucket itself). Only those take a storage class.
bool creates_object(const Request &r) {
    if (r.key.empty())
        return false;
    auto has = [&](const char *name) {
        for (const auto &kv : r.query)
            if (kv.first == name)
                return true;
        return false;
    };
    return (r.method == "PUT" && !has("partNumber")) || (r.method == "POST" && has("uploads"));
}

bool retryable(CURLcode rc) {
    switch (rc) {
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_CONNECT:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
        return true;
    default:
        return false;
    }
}

std::string status_text(long status, const S3ErrorDoc &e) {
    std::string s = std::to_string(status);
    if (!e.code.empty())
        s += " " + e.code;
    if (!e.message.empty())
        s += ": " + e.message;
    return s;
}

} // namespace

Transport::Transport(const Settings &s)
    : s_(s), signer_(s.credentials.access_key, s.credentials.secret_key, s.region) {
    std::string ep = s.endpoint;
    size_t sep = ep.find("://");
    scheme_ = sep == std::string::npos ? "https" : ep.substr(0, sep);
    host_ = sep == std::string::npos ? ep : ep.substr(sep + 3);
    while (!host_.empty() && host_.back() == '/')
        host_.pop_back();
    if (scheme_ != "http" && scheme_ != "https")
        throw Error("S3 endpoint '" + ep + "': scheme must be http or https");
    if (host_.empty() || host_.find('/') != std::string::npos)
        throw Error("S3 endpoint '" + ep + "': expected scheme://host[:port]");
    if (s.bucket.empty())
        throw Error("S3 bucket name is empty");
    // The Host header (and so the signature) leaves out the scheme's default port.
    const std::string dflt = scheme_ == "https" ? ":443" : ":80";
    if (host_.size() > dflt.size() &&
        host_.compare(host_.size() - dflt.size(), dflt.size(), dflt) == 0)
        host_.resize(host_.size() - dflt.size());
}

Transport::~Transport() = default;

std::string Transport::describe(const std::string &method, const std::string &key) const {
    return "S3 " + method + " s3://" + s_.bucket + "/" + key;
}

std::unique_ptr<Transport::Handle> Transport::acquire() {
    {
        std::lock_guard<std::mutex> g(mu_);
        if (!pool_.empty()) {
            auto h = std::move(pool_.back());
            pool_.pop_back();
            curl_easy_reset(h->curl.get()); // keeps its connections
            return h;
        }
    }
    return std::make_unique<Handle>();
}

void Transport::release(std::unique_ptr<Handle> h) {
    std::lock_guard<std::mutex> g(mu_);
    pool_.push_back(std::move(h));
}

bool Transport::attempt(Handle &h, const Request &r, uint64_t &delivered, Response &resp,
                        std::string &why) {
    CURL *c = h.curl.get();
    resp = Response();
    Transfer t;
    t.curl = c;
    t.req = &r;
    t.resp = &resp;
    t.delivered = &delivered;
    t.in = r.body;
    t.in_left = r.body_len;

    const std::string host = s_.path_style ? host_ : s_.bucket + "." + host_;
    const std::string path =
        s_.path_style ? "/" + s_.bucket + (r.key.empty() ? "" : "/" + r.key) : "/" + r.key;
    const std::string query = canonical_query(r.query);
    const std::string url =
        scheme_ + "://" + host + uri_encode(path, true) + (query.empty() ? "" : "?" + query);

    SignInput in;
    in.method = r.method;
    in.path = path;
    in.query = r.query;
    in.payload_hash =
        sha256_hex(r.body ? r.body : reinterpret_cast<const uint8_t *>(""), r.body_len);
    in.date = amz_date(std::time(nullptr));
    in.headers = {
        {"host", host}, {"x-amz-content-sha256", in.payload_hash}, {"x-amz-date", in.date}};
    if (!s_.credentials.session_token.empty())
        in.headers.emplace_back("x-amz-security-token", s_.credentials.session_token);
    for (const auto &kv : r.headers)
        in.headers.push_back(kv);
    if (!s_.storage_class.empty() && creates_object(r))
        in.headers.emplace_back("x-amz-storage-class", s_.storage_class);
    if (r.sink && delivered > 0)
        in.headers.emplace_back("range", "bytes=" + std::to_string(delivered) + "-");

    CurlList headers;
    for (const auto &kv : in.headers)
        headers.append(kv.first + ": " + kv.second);
    headers.append("Authorization: " + signer_.authorization(in));
    headers.append("Expect:"); // no 100-continue round trip
    if (r.method == "POST")
        headers.append("Content-Type: application/xml");

    h.err[0] = '\0';
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, h.err);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_URL, url.c_str());
    curl_easy_setopt(c, CURLOPT_PATH_AS_IS, 1L); // keys may hold "." and ".." segments
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers.get());
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, static_cast<long>(s_.connect_timeout_s));
    curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, static_cast<long>(s_.stall_timeout_s));
    curl_easy_setopt(c, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, s_.verify_tls ? 1L : 0L);
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, s_.verify_tls ? 2L : 0L);
    if (!s_.ca_file.empty())
        curl_easy_setopt(c, CURLOPT_CAINFO, s_.ca_file.c_str());
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &t);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, &t);
    if (r.method == "HEAD") {
        curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
    } else if (r.method == "PUT") {
        curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
        curl_easy_setopt(c, CURLOPT_READFUNCTION, on_read);
        curl_easy_setopt(c, CURLOPT_READDATA, &t);
        curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(r.body_len));
    } else if (r.method == "POST") {
        curl_easy_setopt(c, CURLOPT_POST, 1L);
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, r.body ? static_cast<const void *>(r.body) : "");
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(r.body_len));
    } else if (r.method != "GET") {
        curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, r.method.c_str());
    }

    curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
    curl_easy_setopt(c, CURLOPT_XFERINFODATA, &t);

    sigset_t all;
    sigfillset(&all);
    t.masked = pthread_sigmask(SIG_BLOCK, &all, &t.old_mask) == 0;
    CURLcode rc = curl_easy_perform(c);
    t.unmask();
    if (t.sink_error)
        std::rethrow_exception(t.sink_error);
    if (t.stopped)
        throw Canceled();
    if (rc != CURLE_OK) {
        std::string text = h.err[0] ? std::string(h.err) : std::string(curl_easy_strerror(rc));
        if (rc == CURLE_PEER_FAILED_VERIFICATION || rc == CURLE_SSL_CACERT_BADFILE)
            throw Error(describe(r) + " failed: TLS certificate verification failed: " + text +
                        " (set the CA bundle, or turn TLS verification off)");
        if (!retryable(rc))
            throw Error(describe(r) + " failed: " + text);
        why = text;
        return false;
    }
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &resp.status);
    curl_off_t len = -1;
    curl_easy_getinfo(c, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &len);
    if (len >= 0)
        resp.content_length = static_cast<uint64_t>(len);
    if (resp.status >= 200 && resp.status < 300)
        return true;
    if (std::find(r.accept.begin(), r.accept.end(), resp.status) != r.accept.end())
        return true;
    S3ErrorDoc e = parse_error(resp.body);
    if (resp.status >= 500 || resp.status == 429 || e.code == "RequestTimeout") {
        why = status_text(resp.status, e);
        return false;
    }
    std::string msg = describe(r) + " failed: " + status_text(resp.status, e);
    if (resp.status == 404 && (e.code == "NoSuchKey" || (e.code.empty() && r.method == "HEAD")))
        throw NotFound(msg);
    throw Error(msg);
}

void Transport::backoff(int attempt) const {
    thread_local std::mt19937 rng(std::random_device{}());
    double d = s_.retry_base_ms;
    for (int i = 1; i < attempt && d < s_.retry_max_ms; i++)
        d *= 2;
    d = std::min<double>(d, s_.retry_max_ms);
    std::uniform_real_distribution<double> jitter(d / 2, d);
    // Backoff grows to retry_max_ms: sleep in slices so a stop ends it.
    sleep_or_stop(std::chrono::duration_cast<std::chrono::nanoseconds>(
        std::chrono::duration<double, std::milli>(jitter(rng))));
}

Response Transport::perform(const Request &r) {
    uint64_t delivered = 0;
    std::string why;
    const int tries = std::max(1, s_.max_attempts);
    for (int i = 1;; i++) {
        auto h = acquire();
        Response resp;
        bool done = attempt(*h, r, delivered, resp, why);
        release(std::move(h));
        if (done)
            return resp;
        if (i >= tries)
            throw Error(describe(r) + " failed after " + std::to_string(tries) +
                        " attempts: " + why);
        backoff(i);
    }
}

} // namespace safekeep::s3
