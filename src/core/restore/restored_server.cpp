#include "restore/restored_server.h"

#include "util/error.h"
#include "util/user_names.h"

#include <cstdint>

namespace safekeep {

void check_archive_mode(const std::string &mode) {
    if (!mode.empty() && mode != "preserve" && mode != "off")
        throw Error("archive mode " + shown_value(mode) + " is not preserve or off");
}

void check_target_timeline(const std::string &tl) {
    if (tl.empty() || tl == "current" || tl == "latest")
        return;
    bool digits = tl.size() <= 10 && tl.find_first_not_of("0123456789") == std::string::npos;
    if (digits) {
        uint64_t n = std::stoull(tl);
        if (n >= 1 && n <= UINT32_MAX)
            return;
    }
    throw Error("target timeline " + shown_value(tl) +
                " is not current, latest or a timeline number (1..4294967295)");
}

} // namespace safekeep
