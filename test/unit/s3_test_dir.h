// Shared by the S3 tests: where the helpers live (test/s3: s3rver, the SigV4
// oracle), and client settings that retry quickly.
#pragma once

#include "storage/s3/client.h"

#include <cstdlib>
#include <string>

namespace safekeep::test {

// $SAFEKEEP_S3RVER_DIR, else test/s3 next to this source file.
inline std::string s3_test_dir() {
    if (const char *d = std::getenv("SAFEKEEP_S3RVER_DIR"); d && *d)
        return d;
    std::string f = __FILE__; // .../test/unit/s3_test_dir.h
    std::string unit = f.substr(0, f.rfind('/'));
    return unit.substr(0, unit.rfind('/')) + "/s3";
}

// max_attempts 3 with millisecond backoff, so failures show at once.
inline s3::Settings quick_settings(const std::string &endpoint, const std::string &bucket,
                                   const std::string &prefix, size_t part_size,
                                   s3::Credentials creds) {
    s3::Settings s;
    s.endpoint = endpoint;
    s.bucket = bucket;
    s.prefix = prefix;
    s.part_size = part_size;
    s.max_attempts = 3;
    s.retry_base_ms = 5;
    s.retry_max_ms = 50;
    s.connect_timeout_s = 5;
    s.credentials = std::move(creds);
    return s;
}

} // namespace safekeep::test
