// How the restored server behaves once started: whether it archives, and
// which timeline its recovery follows.
#pragma once

#include <string>

namespace safekeep {

// Throws unless mode is "", "preserve" or "off".
void check_archive_mode(const std::string &mode);

// Throws unless timeline is "", "current", "latest" or a timeline number
// (1 .. 4294967295, decimal).
void check_target_timeline(const std::string &timeline);

} // namespace safekeep
