#include "options.h"

#include "cli_error.h"

#include <cerrno>
#include <cstdlib>

namespace safekeep::cli {

std::optional<std::string> ParsedArgs::get(const std::string &name) const {
    auto it = values.find(name);
    if (it == values.end())
        return std::nullopt;
    return it->second;
}

static const OptionSpec *find_spec(const std::vector<OptionSpec> &spec, const std::string &name) {
    for (const auto &s : spec)
        if (s.name == name)
            return &s;
    return nullptr;
}

ParsedArgs parse_options(const std::string &command, const std::vector<std::string> &args,
                         const std::vector<OptionSpec> &spec) {
    ParsedArgs out;
    bool options_done = false;
    for (size_t i = 0; i < args.size(); i++) {
        const std::string &arg = args[i];
        if (options_done || arg.size() < 2 || arg[0] != '-') {
            out.positionals.push_back(arg);
            continue;
        }
        if (arg == "--") {
            options_done = true;
            continue;
        }
        if (arg == "-h") {
            out.values["help"] = "";
            continue;
        }
        if (arg.compare(0, 2, "--") != 0)
            throw UsageError("unknown option \"" + arg + "\" for " + command);

        std::string name = arg.substr(2);
        std::optional<std::string> value;
        auto eq = name.find('=');
        if (eq != std::string::npos) {
            value = name.substr(eq + 1);
            name.erase(eq);
        }
        const OptionSpec *s = find_spec(spec, name);
        if (!s)
            throw UsageError("unknown option \"--" + name + "\" for " + command);
        if (out.has(name))
            throw UsageError("option --" + name + " given more than once");
        if (!s->takes_value) {
            if (value)
                throw UsageError("option --" + name + " takes no value");
            out.values[name] = "";
            continue;
        }
        if (!value) {
            // "--name value": the next argument is the value, whatever it looks like
            // except another long option, which means the value was forgotten.
            if (i + 1 >= args.size() || args[i + 1].compare(0, 2, "--") == 0)
                throw UsageError("option --" + name + " needs a value");
            value = args[++i];
        }
        out.values[name] = *value;
    }
    return out;
}

int parse_int_option(const std::string &name, const std::string &value, int min, int max) {
    if (value.empty() || value.find_first_not_of("0123456789") != std::string::npos)
        throw UsageError("option --" + name + " must be an integer, not \"" + value + "\"");
    errno = 0;
    long v = std::strtol(value.c_str(), nullptr, 10);
    if (errno != 0 || v < min || v > max)
        throw UsageError("option --" + name + " must be between " + std::to_string(min) + " and " +
                         std::to_string(max));
    return static_cast<int>(v);
}

} // namespace safekeep::cli
