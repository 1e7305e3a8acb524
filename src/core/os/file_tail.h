// The end of a log file, for error messages (a server that failed to start).
#pragma once

#include <string>

namespace safekeep {

// Last n lines of a file ("" if unreadable).
std::string tail_lines(const std::string &path, int n);

} // namespace safekeep
