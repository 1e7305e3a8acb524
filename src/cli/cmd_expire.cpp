// expire: apply the retention policies to the repositories, from the
// repositories alone, through the core's typed expire (expire/expire_all.h).
#include "commands.h"

#include "capi_support.h"
#include "cli_error.h"
#include "expire/expire_all.h"
#include "expire_options.h"
#include "format.h"
#include "options.h"
#include "repo_config.h"

#include <nlohmann/json.hpp>

#include <cstdio>
#include <ctime>

namespace safekeep::cli {

namespace {

void print_repository(const RepositoryExpire &r, bool dry_run) {
    Table table({"label", "type", "action", "reason"});
    for (const auto &d : r.physical.plan.backups)
        table.add({d.label, d.type, d.keep ? "keep" : "expire", d.reason});
    // Logical backups: "logical (schema-only)", the kind retention counts by.
    for (const auto &d : r.logical)
        table.add({d.label, "logical (" + d.kind + ")", d.keep ? "keep" : "expire", d.reason});
    if (r.physical.plan.backups.empty() && r.logical.empty())
        std::printf("backups: none\n");
    else
        std::fputs(table.render().c_str(), stdout);
    const WalPlan &wal = r.physical.plan.wal;
    std::printf("\nwal (%s): %s %llu file(s) (%s) before %s\n",
                wal.mode == WalRetention::All ? "all" : "consistent",
                dry_run ? "would remove" : "removed",
                static_cast<unsigned long long>(r.physical.wal_removed_count),
                format_bytes(r.physical.wal_removed_bytes).c_str(),
                wal.remove ? wal.remove_before.c_str() : "-");
}

} // namespace

int run_expire(const std::vector<std::string> &args) {
    std::vector<OptionSpec> spec = repo_option_specs();
    for (auto &o : retention_option_specs())
        spec.push_back(std::move(o));
    spec.push_back({"output", true});
    for (const char *f : {"dry-run", "help"})
        spec.push_back({f, false});
    ParsedArgs parsed = parse_options("expire", args, spec);
    if (parsed.has("help")) {
        print_help("expire");
        return kExitOk;
    }
    if (!parsed.positionals.empty())
        throw UsageError("unexpected argument \"" + parsed.positionals[0] + "\" for expire");
    std::string output = parsed.get("output").value_or("text");
    if (output != "text" && output != "json")
        throw UsageError("--output must be text or json, not \"" + output + "\"");
    const bool dry_run = parsed.has("dry-run");
    RepoConfig repo(parsed);
    const RetentionSettings settings = retention_from_options(parsed, repo);

    ExpireResult result;
    try {
        result = expire_all(capi_detail::to_config(repo.get()), settings, dry_run,
                            static_cast<int64_t>(std::time(nullptr)));
    } catch (const std::exception &e) {
        throw CliError(std::string("expire failed: ") + e.what());
    }
    const int rc = result.any_failed() ? kExitError : kExitOk;
    if (output == "json") {
        std::printf("%s\n", nlohmann::json::parse(expire_result_json(result)).dump(2).c_str());
        return rc;
    }
    const bool several = result.repositories.size() > 1;
    for (const auto &r : result.repositories) {
        if (several)
            std::printf("%srepo%d:\n", &r == &result.repositories.front() ? "" : "\n",
                        r.repository);
        if (r.error.empty())
            print_repository(r, dry_run);
        else
            std::printf("could not be expired: %s\n", r.error.c_str());
    }
    std::printf("%s%s\n", result.summary().c_str(),
                dry_run ? " (dry run: nothing was changed)" : "");
    return rc;
}

} // namespace safekeep::cli
