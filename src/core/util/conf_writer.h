// The one writer for settings the project puts into a PostgreSQL
// configuration file (postgresql.conf, postgresql.auto.conf).
//
// PostgreSQL's lexer (guc-file.l) reads a quoted value as
// '([^'\\\n]|\\.|'')*' and then undoes backslash escapes (GUC_scanstr), and a
// newline ends the setting.  So a value is written single-quoted with '\\'
// and '\'' doubled, and a value holding a control character is refused: no
// quoting can carry a newline, and a stray CR, NUL or escape byte is never
// what the caller meant.  Every value is quoted (PostgreSQL accepts quoted
// integers and booleans), so no caller decides what needs quotes.
#pragma once

#include <string>
#include <vector>

namespace safekeep {

struct ConfSetting {
    std::string name;
    std::string value;
};
using ConfSettings = std::vector<ConfSetting>;

// Throws Error unless name is letters, digits, '_' and '.' (a GUC name, or a
// custom one such as safekeep.launcher), starting with a letter or '_'.
void check_setting_name(const std::string &name);

// Throws Error naming the setting when value holds a byte below 0x20 or 0x7F:
// invalid value for setting "x": it contains a control character (0x0a at byte 5)
void check_setting_value(const std::string &name, const std::string &value);

// 'value' as the lexer reads it back to value (after check_setting_value).
std::string conf_quoted_value(const std::string &name, const std::string &value);

// "name = 'value'\n", both checked.
std::string conf_line(const ConfSetting &s);

// An optional "# comment" line (no control characters), then one line per setting.
std::string conf_lines(const ConfSettings &settings, const std::string &comment = "");

} // namespace safekeep
