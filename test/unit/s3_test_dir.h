// Where the S3 test helpers (test/s3: s3rver, the SigV4 oracle) live.
#pragma once

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

} // namespace safekeep::test
