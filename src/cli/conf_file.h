// Reads the safekeep.* settings of a postgresql.conf-style file, so that the
// tool can use the server's own repository settings (--config=FILE).
#pragma once

#include <map>
#include <optional>
#include <string>

namespace safekeep::cli {

struct ConfSetting {
    std::string value; // unquoted, escapes resolved
    std::string file;  // where it was set (after includes)
    int line = 0;

    // "safekeep.NAME in FILE:LINE", for error messages.
    std::string origin(const std::string &name) const;
};

// The syntax of postgresql.conf: "name = value" or "name value", one per line;
// values quoted with single quotes ('' or \' for a quote, \n \t \r \b \f \\)
// or unquoted (a word or a number with its unit, e.g. 16MB); # starts a
// comment.  include, include_if_exists and include_dir are followed, relative
// to the including file's directory.  Returns the safekeep.* settings keyed by
// their lowercased name without the "safekeep." prefix; a later line wins.
// Every other line is ignored.  Throws UsageError on a missing file or a
// syntax error, naming the file and line.
std::map<std::string, ConfSetting> read_safekeep_conf(const std::string &path);

// PostgreSQL's boolean spellings: on/off, true/false, yes/no, 1/0 and unique
// prefixes of them, in any case.  nullopt when value is none of these.
std::optional<bool> parse_conf_bool(const std::string &value);

} // namespace safekeep::cli
