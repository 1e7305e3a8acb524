// Retention of logical backups: which to keep, as a pure plan, and applying
// that plan to the repository (the catalog follows from the plan).
#pragma once

#include "repo/logical_list.h"

#include <cstdint>
#include <string>
#include <vector>

namespace safekeep {

// 0 turns a rule off; with both off nothing is expired. A backup is kept
// when any rule keeps it. Counted per database and kind (full and
// schema-only apart), so schema history and data dumps never push each
// other out.
struct LogicalRetention {
    int count = 7; // the newest N of each database and kind
    int days = 7;  // any that ended less than D days ago
};

// Parses {"count": N, "days": D}. With neither given the defaults apply;
// once one is given, the other not given is off. Throws Error naming the
// key for unknown keys, wrong types and out-of-range values.
LogicalRetention parse_logical_retention(const std::string &json);

struct LogicalDecision {
    std::string label;
    bool keep = true;
    std::string reason;
};

// backups: completed logical backups in any order; decisions in label
// order. The newest backup of each database and kind is always kept.
std::vector<LogicalDecision> plan_logical_expire(const std::vector<LogicalEntry> &backups,
                                                 const LogicalRetention &policy, int64_t now);

// Plans and (unless dry_run) removes what the plan lets go, each backup's
// manifest first (a crash leaves no half backup that claims to exist), then
// the rest of its directory. Returns the decisions as a JSON array:
// [{"label", "type": "logical", "kind", "database", "action", "reason",
//   "stored_size"}], label order.
std::string expire_logical(const Config &cfg, const LogicalRetention &policy, bool dry_run,
                           int64_t now);

} // namespace safekeep
