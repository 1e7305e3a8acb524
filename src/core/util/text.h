// Small string helpers shared by the parsers of settings and config files.
#pragma once

#include <string>

namespace safekeep {

// s without leading and trailing spaces, tabs, CRs and LFs.
std::string trim(const std::string &s);

} // namespace safekeep
