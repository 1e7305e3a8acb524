// An S3 repository's settings are checked before any request is made: a
// storage class that is not an S3 class name is refused naming the setting.
#include "repo/layout.h"
#include "temp_dir.h"
#include "util/error.h"

#include <gtest/gtest.h>

namespace safekeep {
namespace {

Config s3_config(const test::TempDir &t, const std::string &storage_class) {
    test::write_text(t / "credentials", "[default]\naws_access_key_id = AK\n"
                                        "aws_secret_access_key = SK\n");
    RepoSpec r;
    r.number = 2;
    r.type = "s3";
    r.s3.endpoint = "http://127.0.0.1:1"; // nothing listens: no request may be made
    r.s3.bucket = "bkt";
    r.s3.credentials_file = t / "credentials";
    r.s3.storage_class = storage_class;
    Config c;
    c.repos.push_back(r);
    c.stanza = "7001";
    return c;
}

TEST(S3Settings, StorageClassThatIsNoClassNameIsRefusedNamingTheSetting) {
    test::TempDir t;
    for (const char *bad : {"standard_ia", "STANDARD IA", "GLACIER\n", "X-1"}) {
        try {
            (void)RepoLayout::for_read(s3_config(t, bad));
            FAIL() << "accepted " << bad;
        } catch (const Error &e) {
            EXPECT_NE(std::string(e.what()).find("repo2_s3_storage_class must be an S3 storage "
                                                 "class"),
                      std::string::npos)
                << e.what();
        }
    }
}

} // namespace
} // namespace safekeep
