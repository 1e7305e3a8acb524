#include "util/text.h"

#include <cstdio>

namespace safekeep {

std::string trim(const std::string &s) {
    size_t b = s.find_first_not_of(" \t\r\n");
    if (b == std::string::npos)
        return "";
    size_t e = s.find_last_not_of(" \t\r\n");
    return s.substr(b, e - b + 1);
}

std::string first_control_char(const std::string &s) {
    for (size_t i = 0; i < s.size(); i++) {
        unsigned char c = static_cast<unsigned char>(s[i]);
        if (c < 0x20 || c == 0x7f) {
            char buf[48];
            std::snprintf(buf, sizeof buf, "0x%02x at byte %zu", c, i + 1);
            return buf;
        }
    }
    return "";
}

} // namespace safekeep
