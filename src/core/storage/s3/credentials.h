// S3 credentials, and the AWS shared-credentials file they are read from.
#pragma once

#include <string>

namespace safekeep::s3 {

struct Credentials {
    std::string access_key, secret_key, session_token;
};

// Reads [profile] from an AWS shared-credentials file (INI: "[name]" or
// "[profile name]" sections, "key = value" lines, '#' and ';' comments):
// aws_access_key_id, aws_secret_access_key, optional aws_session_token.
// Throws Error naming the file and profile (never the secret) when the file
// cannot be read, the profile is absent or a key is missing.
Credentials load_credentials(const std::string &file, const std::string &profile);

// The same from the file's text; file only names it in errors.
Credentials parse_credentials(const std::string &text, const std::string &file,
                              const std::string &profile);

} // namespace safekeep::s3
