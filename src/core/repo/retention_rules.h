// The retention rules, defined once. The server's settings (through
// sk_retention_rules), the tool's options, its --help and the JSON policy
// parser are all made from this table: a new rule is a row here, a field in
// repo/retention.h and its plan in repo/retention.cpp (or logical/expire.cpp).
#pragma once

#include "repo/retention.h"

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace safekeep {

struct RetentionRule {
    const char *setting; // "retention_full": safekeep.retention_full, --retention-full
    const char *key;     // its key in a policy: "full" (logical ones: under "logical")
    const char *metavar; // "N" or "D", for --help
    bool per_repository; // also safekeep.repoN_<setting> and --repoN-<option>, N = 1..4
    int min, max;
    int setting_default;                // the server setting's default
    int policy_default;                 // its value in a policy that gives none of its kind's rules
    const char *short_desc, *long_desc; // the setting's descriptions (long: may be null)
    const char *help;                   // --help text; "\n" starts a continuation line
    int RetentionPolicy::*physical;     // exactly one of these two is set
    int LogicalRetention::*logical;
};

const std::vector<RetentionRule> &retention_rules();

// "full, days, daily, weekly, monthly, yearly" (logical: "count, days").
std::string retention_rule_keys(bool logical);

// Resolved policies of an expire run: every repository's, unless it has its own.
struct RetentionSettings {
    RetentionPolicy policy;
    std::map<int, RetentionPolicy> by_repository; // repository number -> its own policy
    LogicalRetention logical;

    const RetentionPolicy &for_repository(int number) const;
};

// Collects rule values, then applies the defaults: a kind (physical,
// logical) with none of its rules given gets every policy_default; once one
// is given, the others of that kind are 0. A repository's values override
// the resolved global ones, rule by rule. Values must already be in range.
class RetentionBuilder {
  public:
    // repository 0: the global value; 1..4: that repository's own.
    void set(const RetentionRule &rule, int value, int repository = 0);
    void set_wal(WalRetention wal) { wal_ = wal; }
    // Throws Error naming the policy that keeps nothing (all physical rules 0).
    RetentionSettings build() const;

  private:
    std::map<int, std::map<const RetentionRule *, int>> values_; // repository -> rule -> value
    WalRetention wal_ = WalRetention::All;
};

// Parses {"full":N, "days":D, "daily":N, "weekly":N, "monthly":N,
// "yearly":N, "wal":"all"|"consistent", "now": unix seconds (optional,
// for tests), "logical": {"count":N, "days":D},
// "repositories": {"2": {"full":N, ...}} (a repository's own rules)}.
// Throws Error naming the key for unknown keys, wrong types and
// out-of-range values, and for a policy whose rules are all 0.
RetentionSettings parse_retention_settings(const std::string &json, int64_t *now = nullptr);

// The global physical policy of such a text (no "logical" key allowed).
RetentionPolicy parse_retention_policy(const std::string &json, int64_t *now = nullptr);

// {"count": N, "days": D}. With neither given the defaults apply; once one
// is given, the other not given is off.
LogicalRetention parse_logical_retention(const std::string &json);

} // namespace safekeep
