#include "expire_options.h"

#include "cli_error.h"
#include "util/error.h"

#include "pg_safekeep/capi.h"

#include <algorithm>

namespace safekeep::cli {

namespace {

// "retention-full" for retention_full; "repo2-retention-full" with n = 2.
std::string option_of(const RetentionRule &r, int n = 0) {
    std::string out = (n ? "repo" + std::to_string(n) + "-" : std::string()) + r.setting;
    std::replace(out.begin(), out.end(), '_', '-');
    return out;
}

// "  --retention-full=N       text", continuation lines under the text.
std::string help_lines(const RetentionRule &r) {
    constexpr size_t kColumn = 27;
    std::string head = "  --" + option_of(r) + "=" + r.metavar;
    head += head.size() + 1 < kColumn ? std::string(kColumn - head.size(), ' ')
                                      : "\n" + std::string(kColumn, ' ');
    std::string out = head;
    for (const char *c = r.help; *c; c++)
        out += *c == '\n' ? "\n" + std::string(kColumn, ' ') : std::string(1, *c);
    return out + "\n";
}

// "daily 30, weekly 12, monthly 12, yearly 7": the rules a kind defaults to.
std::string defaults_of(bool logical) {
    std::string out;
    for (const auto &r : retention_rules())
        if ((r.logical != nullptr) == logical && r.policy_default != 0)
            out += (out.empty() ? "" : ", ") + std::string(r.key) + " " +
                   std::to_string(r.policy_default);
    return out;
}

} // namespace

std::vector<OptionSpec> retention_option_specs() {
    std::vector<OptionSpec> out = {{"wal-retention", true}};
    for (const auto &r : retention_rules()) {
        out.push_back({option_of(r), true});
        for (int n = 1; n <= SK_MAX_REPOS && r.per_repository; n++)
            out.push_back({option_of(r, n), true});
    }
    return out;
}

RetentionSettings retention_from_options(const ParsedArgs &args, const RepoConfig &repos) {
    RetentionBuilder b;
    for (const auto &r : retention_rules()) {
        if (auto v = args.get(option_of(r)))
            b.set(r, parse_int_option(option_of(r), *v, r.min, r.max));
        for (int n = 1; n <= SK_MAX_REPOS && r.per_repository; n++) {
            const std::string option = option_of(r, n);
            auto v = args.get(option);
            if (!v)
                continue;
            if (!repos.configured(n))
                throw UsageError("--" + option + ": repository " + std::to_string(n) +
                                 " is not configured");
            const int value = parse_int_option(option, *v, -1, r.max);
            if (value >= 0) // -1: the global value applies, as with the setting
                b.set(r, value, n);
        }
    }
    if (auto w = args.get("wal-retention")) {
        if (*w != "all" && *w != "consistent")
            throw UsageError("--wal-retention must be all or consistent, not \"" + *w + "\"");
        b.set_wal(*w == "all" ? WalRetention::All : WalRetention::Consistent);
    }
    try {
        return b.build();
    } catch (const Error &e) {
        throw CliError(std::string("expire failed: ") + e.what());
    }
}

std::string expire_help() {
    std::string physical, logical, own;
    for (const auto &r : retention_rules()) {
        (r.logical ? logical : physical) += help_lines(r);
        if (r.per_repository)
            own += (own.empty() ? "" : ", ") + std::string(r.key);
    }
    return "Usage: pg_safekeep expire REPO [RETENTION] [--dry-run] [--output=text|json]\n"
           "\n"
           "Removes the backups a retention policy does not keep, and the WAL no kept\n"
           "backup needs. A backup is kept when any rule keeps it; 0 turns a rule off.\n" +
           physical +
           "  --wal-retention=MODE     all (default): keep all WAL from the oldest kept\n"
           "                           backup on; consistent: older than the newest kept\n"
           "                           backup, keep only what each backup needs\n" +
           logical +
           "  --repoN-retention-RULE=N\n"
           "                           repository N's own value, instead of\n"
           "                           --retention-RULE (-1: that one applies); RULE:\n"
           "                           " +
           own +
           "\n"
           "  --dry-run                show the plan, change nothing\n"
           "  --output=FORMAT          text (default) or json\n"
           "Without any --retention-* option: " +
           defaults_of(false) +
           ".\n"
           "Without any --logical-retention-* option: " +
           defaults_of(true) +
           "; once one is given\n"
           "the other is off; both 0 keep every logical backup.\n"
           "Every configured repository is expired (only N with --repo=N), each by its\n"
           "own policy; one that cannot be read is reported and the others still are.\n"
           "Never expired: the newest full backup, the newest backup, any backup a kept\n"
           "one depends on, and the newest logical backup of each database and kind.\n";
}

} // namespace safekeep::cli
