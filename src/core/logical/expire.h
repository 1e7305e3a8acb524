// Retention of logical backups: which to keep, as a pure plan, and applying
// that plan to the repository (the catalog follows from the plan).
#pragma once

#include "repo/logical_list.h"
#include "repo/layout.h"
#include "repo/retention_rules.h"

#include <cstdint>
#include <string>
#include <vector>

namespace safekeep {

struct LogicalDecision {
    std::string label;
    bool keep = true;
    std::string reason;
};

// backups: completed logical backups in any order; decisions in label
// order. The newest backup of each database and kind is always kept.
std::vector<LogicalDecision> plan_logical_expire(const std::vector<LogicalEntry> &backups,
                                                 const LogicalRetention &policy, int64_t now);

// One logical backup's decision, with what the caller reports about it.
struct LogicalOutcome {
    std::string label, kind, database, reason;
    bool keep = true;
    uint64_t stored_size = 0;
};

// Plans and (unless dry_run) removes what the plan lets go in repo, each
// backup's manifest first (a crash leaves no half backup that claims to
// exist), then the rest of its directory. Label order.
std::vector<LogicalOutcome> expire_logical(const RepoLayout &repo, const LogicalRetention &policy,
                                           bool dry_run, int64_t now);

} // namespace safekeep
