#include "logical/expire.h"

#include <algorithm>
#include <map>

namespace safekeep {

std::vector<LogicalDecision> plan_logical_expire(const std::vector<LogicalEntry> &in,
                                                 const LogicalRetention &policy, int64_t now) {
    std::vector<const LogicalEntry *> b;
    for (const auto &e : in)
        b.push_back(&e);
    std::sort(b.begin(), b.end(),
              [](const LogicalEntry *x, const LogicalEntry *y) { return x->label < y->label; });
    const bool off = policy.count == 0 && policy.days == 0;
    const std::string count = std::to_string(policy.count);
    std::map<std::string, int> rank_in; // database + kind -> backups seen, newest first
    std::vector<LogicalDecision> plan(b.size());
    for (size_t i = b.size(); i-- > 0;) {
        const LogicalEntry &e = *b[i];
        const std::string kind = std::string(logical_kind(e)) + " logical backup";
        const std::string of_db = " of database " + e.database;
        const int rank = ++rank_in[e.database + '\n' + logical_kind(e)];
        std::vector<std::string> why;
        if (rank == 1)
            why.push_back("newest " + kind + of_db);
        if (policy.count > 1 && rank <= policy.count) // count 1 is "newest" above
            why.push_back("one of the " + count + " newest " + kind + "s" + of_db);
        if (policy.days > 0 && e.stop_time > now - int64_t(policy.days) * 86400)
            why.push_back("younger than " + std::to_string(policy.days) + " days");
        if (off)
            why.push_back("logical retention is off");

        LogicalDecision &d = plan[i];
        d.label = e.label;
        d.keep = !why.empty();
        for (const auto &r : why)
            d.reason += (d.reason.empty() ? "" : "; ") + r;
        if (!d.keep)
            d.reason = "not kept by the logical retention policy";
    }
    return plan;
}

std::vector<LogicalOutcome> expire_logical(const RepoLayout &repo, const LogicalRetention &policy,
                                           bool dry_run, int64_t now) {
    std::map<std::string, LogicalEntry> by_label;
    std::vector<LogicalEntry> backups = list_logical_backups(repo);
    for (const auto &e : backups)
        by_label[e.label] = e;
    Storage &store = repo.store();
    std::vector<LogicalOutcome> out;
    for (const auto &d : plan_logical_expire(backups, policy, now)) {
        const LogicalEntry &e = by_label.at(d.label);
        if (!dry_run && !d.keep) {
            // The manifest first: from then on the directory is not a backup.
            store.remove({e.manifest_key});
            store.remove_tree(key_join(repo.logical_key(), e.label));
        }
        out.push_back({e.label, logical_kind(e), e.database, d.reason, d.keep, e.stored_size});
    }
    return out;
}

} // namespace safekeep
