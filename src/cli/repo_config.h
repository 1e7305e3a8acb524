// The repository options every subcommand shares, turned into an sk_config.
#pragma once

#include "pg_safekeep/capi.h"
#include "capi_config.h"
#include "options.h"

#include <array>
#include <map>
#include <string>
#include <vector>

namespace safekeep::cli {

// For N = 1..4: --repoN-type, --repoN-path, --repoN-s3-* and --repoN-cipher*
// (the safekeep.repoN_* settings with "-" for "_"), plus --stanza (optional:
// the core then uses the only cluster directory under the root), --repo=N
// (the repository to read from) and --config=FILE (a postgresql.conf whose
// safekeep.repoN_* lines are read first; the options override them).
const std::vector<OptionSpec> &repo_option_specs();

class RepoConfig {
  public:
    // Throws UsageError for a bad value (naming its option or file line), or
    // when no repository is configured.
    explicit RepoConfig(const ParsedArgs &args);
    // get() points into this object.
    RepoConfig(const RepoConfig &) = delete;
    RepoConfig &operator=(const RepoConfig &) = delete;

    // Points into this object: keep it alive while the core runs.
    const sk_config *get() const { return &cfg_; }
    // The same settings as the core's own, for calling the core directly.
    Config core_config() const { return capi_detail::to_config(&cfg_); }
    // repo1's path, or "" when repo1 is not a posix repository.
    const std::string &path() const;
    // The repository reads go to (--repo, or the first configured): its
    // directory, or s3://bucket/prefix; "repoN " in front unless N is 1.
    std::string describe() const;
    // The repository number given by --repo, or 0.
    int read_repo() const { return cfg_.read_repo; }
    bool configured(int n) const;
    // Command-line options that give the same repositories (--config
    // expanded, paths absolute), e.g. for a restore_command.
    std::vector<std::string> as_options() const;

  private:
    // Final values of one repository, keyed by setting name ("s3_bucket").
    // std::map keeps c_str() pointers valid as entries are added.
    struct Repo {
        std::map<std::string, std::string> text;
        bool verify_tls = true;
        int part_size_mb = 0;
        bool configured = false;
    };

    void fill_cfg();
    const std::string &text(int n, const std::string &name) const;

    std::array<Repo, SK_MAX_REPOS> repos_;
    std::string stanza_;
    sk_config cfg_{};
};

} // namespace safekeep::cli
