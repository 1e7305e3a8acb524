#include "wal/archive_require.h"

#include "util/error.h"
#include "util/text.h"

#include <cctype>

namespace safekeep {

std::set<int> parse_repo_list(const std::string &text, int max_repos) {
    auto bad = [&](const std::string &why) {
        return Error("safekeep.archive_require must list repository numbers 1 to " +
                     std::to_string(max_repos) + " separated by commas (\"1, 2\"), not \"" + text +
                     "\": " + why);
    };
    std::set<int> out;
    if (trim(text).empty())
        return out;
    size_t pos = 0;
    for (;;) {
        size_t end = text.find(',', pos);
        const std::string item =
            trim(text.substr(pos, end == std::string::npos ? std::string::npos : end - pos));
        if (item.empty())
            throw bad("an empty item");
        for (char c : item)
            if (!std::isdigit(static_cast<unsigned char>(c)))
                throw bad("\"" + item + "\" is not a repository number");
        const int n = item.size() > 3 ? 0 : std::stoi(item);
        if (n < 1 || n > max_repos)
            throw bad("there is no repository " + item);
        out.insert(n);
        if (end == std::string::npos)
            return out;
        pos = end + 1;
    }
}

std::set<int> required_repos(const Config &cfg) {
    std::set<int> configured;
    for (const auto &r : cfg.effective_repos())
        configured.insert(r.number);
    if (trim(cfg.archive_require).empty())
        return configured;
    std::set<int> wanted = parse_repo_list(cfg.archive_require, 4);
    for (int n : wanted)
        if (!configured.count(n))
            throw Error("safekeep.archive_require names repository " + std::to_string(n) +
                        ", which is not configured; WAL is not archived until it lists "
                        "configured repositories only (or is empty: all of them)");
    return wanted;
}

} // namespace safekeep
