// Retention: which backups and WAL an expire run keeps, as a pure plan, and
// applying that plan to a repository.
#pragma once

#include "repo/layout.h"

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace safekeep {

enum class WalRetention {
    All,        // keep every segment from the oldest kept backup's start on
    Consistent, // below the newest kept backup only each kept backup's start..stop
};

// 0 turns a rule off. A backup is kept when any rule keeps it.
struct RetentionPolicy {
    int full = 0;    // the newest N full backups, with every backup that depends on them
    int days = 0;    // backups that ended less than D days ago
    int daily = 0;   // the newest backup of each of the last N days (UTC)
    int weekly = 0;  // ... of each of the last N ISO weeks
    int monthly = 0; // ... of each of the last N months
    int yearly = 0;  // ... of each of the last N years
    WalRetention wal = WalRetention::All;
};

// 0 turns a rule off; with both off nothing is expired. A backup is kept
// when any rule keeps it. Counted per database and kind (full and
// schema-only apart), so schema history and data dumps never push each
// other out. (Here, below logical/, so the rule table can name its fields.)
struct LogicalRetention {
    int count = 7; // the newest N of each database and kind
    int days = 7;  // any that ended less than D days ago
};

struct RetentionBackup {
    std::string label, type, prior;
    std::vector<std::string> depends_on; // every backup it reads data from
    std::string start_wal, stop_wal;
    int64_t stop_time = 0;
    std::string pinned; // non-empty: kept for this reason, whatever the policy
};

struct RetentionDecision {
    std::string label, type;
    bool keep = true;
    std::string reason;
};

struct WalPlan {
    WalRetention mode = WalRetention::All;
    bool remove = false;       // false: nothing may be removed (no backup kept)
    uint64_t keep_from = 0;    // every segment number >= this is kept
    std::string remove_before; // segment name whose number is keep_from
    // Consistent mode: [start, stop] segment numbers kept below keep_from.
    std::vector<std::pair<uint64_t, uint64_t>> keep_ranges;
    std::vector<std::pair<std::string, std::string>> keep_range_names; // same, as segment names
};

struct ExpirePlan {
    std::vector<RetentionDecision> backups; // in label order
    WalPlan wal;
};

// backups: completed backups in label order. Never expires the newest full
// backup, the newest backup (an incremental may be running against it) or
// any backup a kept backup depends on.
ExpirePlan plan_expire(const std::vector<RetentionBackup> &backups, const RetentionPolicy &policy,
                       int64_t now);

// True when the plan lets this archived WAL file go (history files never).
bool wal_removable(const WalPlan &plan, const std::string &wal_name);

// What an expire run did (dry run: would do) in one repository's physical backups.
struct PhysicalExpire {
    ExpirePlan plan;
    uint64_t wal_removed_count = 0, wal_removed_bytes = 0;
};

// Plans and (unless dry_run) applies in repo: expired backups are removed
// newest first, each manifest before the rest of its directory, then the
// WAL the plan lets go.
PhysicalExpire expire_repository(const RepoLayout &repo, const RetentionPolicy &policy,
                                 bool dry_run, int64_t now);

} // namespace safekeep
