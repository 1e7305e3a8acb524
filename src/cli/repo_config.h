// The repository options every subcommand shares, turned into an sk_config.
#pragma once

#include "capi.h"
#include "options.h"

#include <string>
#include <vector>

namespace safekeep::cli {

// --repo1-path (required) and --stanza (optional: the core then uses the only
// cluster directory under the root).
const std::vector<OptionSpec> &repo_option_specs();

class RepoConfig {
  public:
    // Throws UsageError when --repo1-path is missing.
    explicit RepoConfig(const ParsedArgs &args);

    // Points into this object: keep it alive while the core runs.
    const sk_config *get() const { return &cfg_; }
    const std::string &path() const { return path_; }

  private:
    std::string path_;
    std::string stanza_;
    sk_config cfg_{};
};

} // namespace safekeep::cli
