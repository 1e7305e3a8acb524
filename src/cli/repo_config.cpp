#include "repo_config.h"

#include "cli_error.h"

#include <filesystem>

namespace safekeep::cli {

const std::vector<OptionSpec> &repo_option_specs() {
    static const std::vector<OptionSpec> specs = {{"repo1-path", true}, {"stanza", true}};
    return specs;
}

RepoConfig::RepoConfig(const ParsedArgs &args) {
    auto path = args.get("repo1-path");
    if (!path || path->empty())
        throw UsageError("--repo1-path is required");
    // Absolute, so that a restore_command written from it works from any cwd.
    path_ = std::filesystem::absolute(*path).lexically_normal().string();
    if (path_.size() > 1 && path_.back() == '/')
        path_.pop_back();
    cfg_.repos[0].type = "posix";
    cfg_.repos[0].path = path_.c_str();
    if (auto stanza = args.get("stanza"); stanza && !stanza->empty()) {
        stanza_ = *stanza;
        cfg_.stanza = stanza_.c_str();
    }
    cfg_.compress_level = 3;
    cfg_.parallel = 2;
}

} // namespace safekeep::cli
