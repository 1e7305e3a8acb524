// The expire subcommand's retention options, all made from the core's rule
// table (repo/retention_rules.h): --<rule> and --repoN-<rule>, their
// parsing into the policies, and their --help text.
#pragma once

#include "options.h"
#include "repo_config.h"
#include "repo/retention_rules.h"

#include <string>
#include <vector>

namespace safekeep::cli {

// --retention-full, ..., --logical-retention-days, --repoN-retention-*, --wal-retention.
std::vector<OptionSpec> retention_option_specs();

// The policies the options give (a repository's own options only for a
// configured one). Throws UsageError for a bad value, CliError for a policy
// that keeps nothing.
RetentionSettings retention_from_options(const ParsedArgs &args, const RepoConfig &repos);

// The expire subcommand's --help text.
std::string expire_help();

} // namespace safekeep::cli
