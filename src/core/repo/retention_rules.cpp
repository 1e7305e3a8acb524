#include "repo/retention_rules.h"

#include "util/error.h"
#include "util/policy_json.h"

namespace safekeep {

using nlohmann::json;

const std::vector<RetentionRule> &retention_rules() {
    using P = RetentionPolicy;
    using L = LogicalRetention;
    static const std::vector<RetentionRule> rules = {
        {"retention_full", "full", "N", true, 0, 1000, 0, 0,
         "Keep this many newest full backups (0: off).", "And every backup that depends on them.",
         "the N newest full backups and their incrementals\nand differentials", &P::full, nullptr},
        {"retention_days", "days", "D", true, 0, 36500, 7, 0,
         "Keep backups younger than this many days.", nullptr,
         "backups that ended less than D days ago", &P::days, nullptr},
        {"retention_daily", "daily", "N", true, 0, 3650, 30, 30,
         "Keep the newest backup of each of this many days (0: off).", nullptr,
         "the newest backup of each of the last N days (UTC)", &P::daily, nullptr},
        {"retention_weekly", "weekly", "N", true, 0, 520, 12, 12,
         "Keep the newest backup of each of this many weeks (0: off).", nullptr,
         "... of each of the last N weeks", &P::weekly, nullptr},
        {"retention_monthly", "monthly", "N", true, 0, 1200, 12, 12,
         "Keep the newest backup of each of this many months (0: off).", nullptr,
         "... of each of the last N months", &P::monthly, nullptr},
        {"retention_yearly", "yearly", "N", true, 0, 100, 7, 7,
         "Keep the newest backup of each of this many years (0: off).", nullptr,
         "... of each of the last N years", &P::yearly, nullptr},
        {"logical_retention_count", "count", "N", false, 0, 1000, 7, 7,
         "Keep this many newest logical backups of each database and kind (0: off).",
         "Full and schema-only backups are counted apart; the newest of each is always kept.",
         "the N newest logical backups of each database and\nkind (full and schema-only counted "
         "apart)",
         nullptr, &L::count},
        {"logical_retention_days", "days", "D", false, 0, 36500, 7, 7,
         "Keep logical backups younger than this many days (0: off).",
         "With both logical retention settings 0, no logical backup expires.",
         "logical backups that ended less than D days ago", nullptr, &L::days},
    };
    return rules;
}

std::string retention_rule_keys(bool logical) {
    std::string out;
    for (const auto &r : retention_rules())
        if ((r.logical != nullptr) == logical)
            out += (out.empty() ? "" : ", ") + std::string(r.key);
    return out;
}

const RetentionPolicy &RetentionSettings::for_repository(int number) const {
    auto it = by_repository.find(number);
    return it == by_repository.end() ? policy : it->second;
}

namespace {

bool keeps_nothing(const RetentionPolicy &p) {
    for (const auto &r : retention_rules())
        if (r.physical && p.*r.physical != 0)
            return false;
    return true;
}

void check_keeps_something(const RetentionPolicy &p, const std::string &whose) {
    if (keeps_nothing(p))
        throw Error("retention policy " + whose + "keeps nothing: set at least one of " +
                    retention_rule_keys(false) + " above 0");
}

const RetentionRule *find_rule(const std::string &key, bool logical) {
    for (const auto &r : retention_rules())
        if ((r.logical != nullptr) == logical && key == r.key)
            return &r;
    return nullptr;
}

void parse_logical_into(const std::string &text, RetentionBuilder &b) {
    const json j = parse_policy_object(text, "logical retention");
    for (auto it = j.begin(); it != j.end(); ++it) {
        const RetentionRule *r = find_rule(it.key(), true);
        if (!r)
            throw Error("unknown logical retention setting \"" + it.key() + "\" (expected " +
                        retention_rule_keys(true) + ")");
        b.set(*r, policy_int(*it, "logical retention", it.key(), r->max));
    }
}

// "repositories": {"2": {"full": N, ...}}: repository 2's own rules.
void parse_repositories_into(const json &j, RetentionBuilder &b) {
    if (!j.is_object())
        throw Error("retention repositories must be a JSON object");
    for (auto it = j.begin(); it != j.end(); ++it) {
        const std::string &n = it.key();
        if (n.size() != 1 || n[0] < '1' || n[0] > '4')
            throw Error("retention repositories key \"" + n + "\" must be 1, 2, 3 or 4");
        const std::string what = "repository " + n + " retention";
        const json rules = parse_policy_object(it->dump(), what);
        for (auto r = rules.begin(); r != rules.end(); ++r) {
            const RetentionRule *rule = find_rule(r.key(), false);
            if (!rule || !rule->per_repository)
                throw Error("unknown " + what + " setting \"" + r.key() + "\"");
            b.set(*rule, policy_int(*r, what, r.key(), rule->max), n[0] - '0');
        }
    }
}

} // namespace

void RetentionBuilder::set(const RetentionRule &rule, int value, int repository) {
    if (repository != 0 && !rule.per_repository)
        throw Error(std::string(rule.setting) + " has no per-repository value");
    values_[repository][&rule] = value;
}

RetentionSettings RetentionBuilder::build() const {
    static const std::map<const RetentionRule *, int> none;
    auto g = values_.find(0);
    const auto &global = g == values_.end() ? none : g->second;
    bool given[2] = {false, false}; // physical, logical
    for (const auto &[rule, value] : global)
        given[rule->logical != nullptr] = true;

    RetentionSettings s;
    s.policy.wal = wal_;
    for (const auto &r : retention_rules()) {
        auto it = global.find(&r);
        const int v = it != global.end()            ? it->second
                      : given[r.logical != nullptr] ? 0
                                                    : r.policy_default;
        if (r.physical)
            s.policy.*r.physical = v;
        else
            s.logical.*r.logical = v;
    }
    check_keeps_something(s.policy, "");
    for (const auto &[repository, values] : values_) {
        if (repository == 0)
            continue;
        RetentionPolicy p = s.policy;
        for (const auto &[rule, value] : values)
            p.*rule->physical = value;
        check_keeps_something(p, "of repository " + std::to_string(repository) + " ");
        s.by_repository[repository] = p;
    }
    return s;
}

RetentionSettings parse_retention_settings(const std::string &text, int64_t *now) {
    const json j = parse_policy_object(text, "retention");
    RetentionBuilder b;
    for (auto it = j.begin(); it != j.end(); ++it) {
        const std::string &key = it.key();
        if (const RetentionRule *r = find_rule(key, false)) {
            b.set(*r, policy_int(*it, "retention", key, r->max));
        } else if (key == "wal") {
            std::string v = it->is_string() ? it->get<std::string>() : it->dump();
            if (v != "all" && v != "consistent")
                throw Error("retention wal must be \"all\" or \"consistent\", not " + v);
            b.set_wal(v == "all" ? WalRetention::All : WalRetention::Consistent);
        } else if (key == "now") {
            if (!it->is_number_integer())
                throw Error("retention now must be unix seconds");
            if (now)
                *now = it->get<int64_t>();
        } else if (key == "logical") {
            parse_logical_into(it->dump(), b);
        } else if (key == "repositories") {
            parse_repositories_into(*it, b);
        } else {
            throw Error("unknown retention setting \"" + key + "\" (expected " +
                        retention_rule_keys(false) + ", wal)");
        }
    }
    return b.build();
}

RetentionPolicy parse_retention_policy(const std::string &text, int64_t *now) {
    return parse_retention_settings(text, now).policy;
}

LogicalRetention parse_logical_retention(const std::string &text) {
    RetentionBuilder b;
    parse_logical_into(text, b);
    return b.build().logical;
}

} // namespace safekeep
