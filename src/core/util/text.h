// Small string helpers shared by the parsers of settings and config files.
#pragma once

#include <string>

namespace safekeep {

// s without leading and trailing spaces, tabs, CRs and LFs.
std::string trim(const std::string &s);

// The first control character (a byte below 0x20, or 0x7F) of s, described
// as "0x0a at byte 5" (bytes counted from 1); "" when there is none.
std::string first_control_char(const std::string &s);

} // namespace safekeep
