#include "wal/archive_require.h"

#include "util/error.h"

#include <cctype>

namespace safekeep {

std::set<int> parse_repo_list(const std::string &text, int max_repos) {
    std::set<int> out;
    size_t pos = 0;
    auto bad = [&](const std::string &why) {
        return Error("safekeep.archive_require must list repository numbers 1 to " +
                     std::to_string(max_repos) + " separated by commas (\"1, 2\"), not \"" + text +
                     "\": " + why);
    };
    bool any_text = text.find_first_not_of(" \t") != std::string::npos;
    if (!any_text)
        return out;
    while (pos <= text.size()) {
        size_t end = text.find(',', pos);
        if (end == std::string::npos)
            end = text.size();
        std::string item = text.substr(pos, end - pos);
        size_t a = item.find_first_not_of(" \t"), b = item.find_last_not_of(" \t");
        if (a == std::string::npos)
            throw bad("an empty item");
        item = item.substr(a, b - a + 1);
        for (char c : item)
            if (!std::isdigit(static_cast<unsigned char>(c)))
                throw bad("\"" + item + "\" is not a repository number");
        int n = item.size() > 3 ? 0 : std::stoi(item);
        if (n < 1 || n > max_repos)
            throw bad("there is no repository " + item);
        out.insert(n);
        pos = end + 1;
    }
    return out;
}

std::set<int> required_repos(const Config &cfg) {
    std::set<int> configured;
    for (const auto &r : cfg.effective_repos())
        configured.insert(r.number);
    if (cfg.archive_require.find_first_not_of(" \t") == std::string::npos)
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
