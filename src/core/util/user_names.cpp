#include "util/user_names.h"

#include "util/error.h"
#include "util/text.h"

namespace safekeep {

namespace {

// Structure only (lead byte, continuation bytes, no overlong 2-byte forms):
// enough to refuse byte strings no UTF-8 database could have stored.
bool valid_utf8(const std::string &s) {
    size_t i = 0;
    while (i < s.size()) {
        unsigned char c = static_cast<unsigned char>(s[i]);
        size_t n;
        if (c < 0x80)
            n = 0;
        else if (c >= 0xc2 && c <= 0xdf)
            n = 1;
        else if (c >= 0xe0 && c <= 0xef)
            n = 2;
        else if (c >= 0xf0 && c <= 0xf4)
            n = 3;
        else
            return false;
        if (n > s.size() - i - 1)
            return false;
        for (size_t k = 1; k <= n; k++)
            if ((static_cast<unsigned char>(s[i + k]) & 0xc0) != 0x80)
                return false;
        i += n + 1;
    }
    return true;
}

} // namespace

std::string shown_value(const std::string &value) {
    if (value.size() <= 64 && first_control_char(value).empty() && valid_utf8(value))
        return "\"" + value + "\"";
    return "(" + std::to_string(value.size()) + " bytes, not shown)";
}

void check_restore_point_name(const std::string &name) {
    if (name.empty())
        throw Error("invalid restore point name: it is empty");
    std::string c = first_control_char(name);
    if (!c.empty())
        throw Error("invalid restore point name: it contains a control character (" + c + ")");
    if (name.size() > 63)
        throw Error("invalid restore point name: it is " + std::to_string(name.size()) +
                    " bytes long (at most 63)");
    if (!valid_utf8(name))
        throw Error("invalid restore point name: it is not valid UTF-8");
}

} // namespace safekeep
