// Checks for names a user chooses (restore points; repo/label.h checks backup labels) where they
// enter, so a bad one fails with a clear message before anything is created.
#pragma once

#include <string>

namespace safekeep {

// 1 to 63 bytes (PostgreSQL's limit), valid UTF-8, no control characters.
// Quotes, backslashes and spaces are allowed: conf_writer quotes them.
void check_restore_point_name(const std::string &name);

// The value for an error message: "text" when short and printable, else a
// description that neither floods the log nor carries control characters.
std::string shown_value(const std::string &value);

} // namespace safekeep
