#include "storage/s3/credentials.h"

#include "os/files.h"
#include "util/error.h"
#include "util/text.h"

#include <sstream>

namespace safekeep::s3 {

Credentials parse_credentials(const std::string &text, const std::string &file,
                              const std::string &profile) {
    const std::string where = "AWS credentials file " + file + ", profile [" + profile + "]";
    Credentials c;
    bool found = false, in_profile = false;
    std::istringstream in(text);
    std::string line;
    while (std::getline(in, line)) {
        line = trim(line);
        if (line.empty() || line[0] == '#' || line[0] == ';')
            continue;
        if (line[0] == '[') {
            std::string name = trim(line.substr(1, line.find(']') - 1));
            if (name.rfind("profile ", 0) == 0)
                name = trim(name.substr(8));
            in_profile = name == profile;
            found = found || in_profile;
            continue;
        }
        size_t eq = line.find('=');
        if (!in_profile || eq == std::string::npos)
            continue;
        std::string key = trim(line.substr(0, eq)), value = trim(line.substr(eq + 1));
        if (key == "aws_access_key_id")
            c.access_key = value;
        else if (key == "aws_secret_access_key")
            c.secret_key = value;
        else if (key == "aws_session_token")
            c.session_token = value;
    }
    if (!found)
        throw Error(where + ": no such profile");
    if (c.access_key.empty())
        throw Error(where + ": aws_access_key_id is missing");
    if (c.secret_key.empty())
        throw Error(where + ": aws_secret_access_key is missing");
    return c;
}

Credentials load_credentials(const std::string &file, const std::string &profile) {
    std::string text;
    try {
        text = posix::read_file(file);
    } catch (const Error &e) {
        throw Error("cannot read AWS credentials file (profile [" + profile + "]): " + e.what());
    }
    return parse_credentials(text, file, profile);
}

} // namespace safekeep::s3
