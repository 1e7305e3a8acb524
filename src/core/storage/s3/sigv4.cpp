#include "storage/s3/sigv4.h"

#include "io/sha256.h"
#include "util/error.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <cctype>

namespace safekeep::s3 {

namespace {

std::string hmac(const std::string &key, const std::string &msg) {
    unsigned char out[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    if (!HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
              reinterpret_cast<const unsigned char *>(msg.data()), msg.size(), out, &len))
        throw Error("HMAC-SHA256 failed");
    return std::string(reinterpret_cast<char *>(out), len);
}

std::string to_hex(const std::string &bin) {
    static const char digits[] = "0123456789abcdef";
    std::string s;
    s.reserve(bin.size() * 2);
    for (unsigned char c : bin) {
        s += digits[c >> 4];
        s += digits[c & 15];
    }
    return s;
}

std::string lower(std::string s) {
    for (auto &c : s)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
}

// Header values: leading/trailing spaces dropped, inner runs of spaces made one.
std::string trim_value(const std::string &v) {
    std::string out;
    bool space = false;
    for (char c : v) {
        if (c == ' ' || c == '\t') {
            space = !out.empty();
            continue;
        }
        if (space)
            out += ' ';
        space = false;
        out += c;
    }
    return out;
}

Params sorted_headers(const Params &headers) {
    Params h;
    for (const auto &kv : headers)
        h.emplace_back(lower(kv.first), trim_value(kv.second));
    std::sort(h.begin(), h.end());
    return h;
}

std::string signed_header_list(const Params &sorted) {
    std::string s;
    for (const auto &kv : sorted) {
        if (!s.empty())
            s += ';';
        s += kv.first;
    }
    return s;
}

std::string scope(const std::string &date, const std::string &region, const std::string &service) {
    return date.substr(0, 8) + "/" + region + "/" + service + "/aws4_request";
}

} // namespace

std::string uri_encode(const std::string &s, bool keep_slash) {
    static const char digits[] = "0123456789ABCDEF";
    std::string out;
    out.reserve(s.size());
    for (unsigned char c : s) {
        if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~' ||
            (keep_slash && c == '/')) {
            out += static_cast<char>(c);
        } else {
            out += '%';
            out += digits[c >> 4];
            out += digits[c & 15];
        }
    }
    return out;
}

std::string canonical_query(const Params &query) {
    Params enc;
    for (const auto &kv : query)
        enc.emplace_back(uri_encode(kv.first, false), uri_encode(kv.second, false));
    std::sort(enc.begin(), enc.end());
    std::string s;
    for (const auto &kv : enc) {
        if (!s.empty())
            s += '&';
        s += kv.first + "=" + kv.second;
    }
    return s;
}

std::string amz_date(std::time_t t) {
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y%m%dT%H%M%SZ", &tm);
    return buf;
}

std::string canonical_request(const SignInput &in) {
    Params headers = sorted_headers(in.headers);
    std::string s =
        in.method + "\n" + uri_encode(in.path, true) + "\n" + canonical_query(in.query) + "\n";
    for (const auto &kv : headers)
        s += kv.first + ":" + kv.second + "\n";
    s += "\n" + signed_header_list(headers) + "\n" + in.payload_hash;
    return s;
}

std::string string_to_sign(const SignInput &in, const std::string &region,
                           const std::string &service) {
    std::string cr = canonical_request(in);
    return "AWS4-HMAC-SHA256\n" + in.date + "\n" + scope(in.date, region, service) + "\n" +
           sha256_hex(cr.data(), cr.size());
}

Signer::Signer(std::string access_key, std::string secret_key, std::string region,
               std::string service)
    : access_key_(std::move(access_key)), secret_key_(std::move(secret_key)),
      region_(std::move(region)), service_(std::move(service)) {}

std::string Signer::signing_key(const std::string &day) const {
    std::lock_guard<std::mutex> g(mu_);
    if (key_day_ != day) {
        std::string k = hmac("AWS4" + secret_key_, day);
        k = hmac(k, region_);
        k = hmac(k, service_);
        key_ = hmac(k, "aws4_request");
        key_day_ = day;
    }
    return key_;
}

std::string Signer::signature(const SignInput &in) const {
    if (in.date.size() != 16)
        throw Error("SigV4: bad x-amz-date '" + in.date + "'");
    return to_hex(hmac(signing_key(in.date.substr(0, 8)), string_to_sign(in, region_, service_)));
}

std::string Signer::authorization(const SignInput &in) const {
    return "AWS4-HMAC-SHA256 Credential=" + access_key_ + "/" + scope(in.date, region_, service_) +
           ", SignedHeaders=" + signed_header_list(sorted_headers(in.headers)) +
           ", Signature=" + signature(in);
}

} // namespace safekeep::s3
