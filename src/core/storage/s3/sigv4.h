// AWS Signature Version 4 for S3: canonical request, string to sign and the
// Authorization header. S3 flavour: the path is URI-encoded once (each segment,
// '/' kept) and never normalised.
#pragma once

#include <cstdint>
#include <ctime>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace safekeep::s3 {

// RFC 3986 percent-encoding: unreserved characters (A-Z a-z 0-9 - _ . ~) stay,
// every other byte becomes %XX (uppercase hex); '/' stays when keep_slash.
std::string uri_encode(const std::string &s, bool keep_slash);

using Params = std::vector<std::pair<std::string, std::string>>;

// Names and values (raw, not yet encoded) encoded and sorted by encoded name,
// then value: "a=1&b=x%20y". A parameter without a value gives "name=".
std::string canonical_query(const Params &query);

// "YYYYMMDDTHHMMSSZ" for a UTC time.
std::string amz_date(std::time_t t);

struct SignInput {
    std::string method;       // "GET"
    std::string path;         // raw (not encoded), starts with '/'
    Params query;             // raw names and values
    Params headers;           // every header to sign, host included
    std::string payload_hash; // lowercase hex sha256 of the body (or UNSIGNED-PAYLOAD)
    std::string date;         // amz_date(), also sent as x-amz-date
};

// The pieces, for tests and for error reports.
std::string canonical_request(const SignInput &in);
std::string string_to_sign(const SignInput &in, const std::string &region,
                           const std::string &service);

class Signer {
  public:
    Signer(std::string access_key, std::string secret_key, std::string region,
           std::string service = "s3");
    // Value of the Authorization header.
    std::string authorization(const SignInput &in) const;
    // Lowercase hex HMAC signature alone.
    std::string signature(const SignInput &in) const;

  private:
    // HMAC chain over date, region, service; cached for the day.
    std::string signing_key(const std::string &day) const;

    std::string access_key_, secret_key_, region_, service_;
    mutable std::mutex mu_;
    mutable std::string key_day_, key_;
};

} // namespace safekeep::s3
