// Command-line option parsing shared by every subcommand.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace safekeep::cli {

struct OptionSpec {
    std::string name; // without the leading "--"
    bool takes_value;
};

struct ParsedArgs {
    std::vector<std::string> positionals;
    std::map<std::string, std::string> values; // flags map to ""

    bool has(const std::string &name) const { return values.count(name) != 0; }
    std::optional<std::string> get(const std::string &name) const;
};

// Accepts "--name=value" and "--name value"; "--" ends the options.  Unknown
// or repeated options, a missing value, or a value given to a flag throw
// UsageError naming the option and the subcommand.
ParsedArgs parse_options(const std::string &command, const std::vector<std::string> &args,
                         const std::vector<OptionSpec> &spec);

// Parses a non-negative integer option value in [min, max].
int parse_int_option(const std::string &name, const std::string &value, int min, int max);

} // namespace safekeep::cli
