// expire: apply a retention policy to a repository, from the repository alone.
#include "commands.h"

#include "pg_safekeep/capi.h"
#include "cli_error.h"
#include "format.h"
#include "options.h"
#include "repo_config.h"

#include <nlohmann/json.hpp>

#include <cstdio>
#include <memory>

namespace safekeep::cli {

namespace {

// option name -> policy key, maximum
struct RetentionOption {
    const char *option, *key;
    int max;
};

const RetentionOption kRetention[] = {
    {"retention-full", "full", 1000},       {"retention-days", "days", 36500},
    {"retention-daily", "daily", 3650},     {"retention-weekly", "weekly", 520},
    {"retention-monthly", "monthly", 1200}, {"retention-yearly", "yearly", 100}};

// The same for logical backups (policy key "logical").
const RetentionOption kLogicalRetention[] = {{"logical-retention-count", "count", 1000},
                                             {"logical-retention-days", "days", 36500}};

} // namespace

int run_expire(const std::vector<std::string> &args) {
    std::vector<OptionSpec> spec = repo_option_specs();
    for (const auto &r : kRetention)
        spec.push_back({r.option, true});
    for (const auto &r : kLogicalRetention)
        spec.push_back({r.option, true});
    for (const char *v : {"wal-retention", "output"})
        spec.push_back({v, true});
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

    nlohmann::json policy = nlohmann::json::object();
    for (const auto &r : kRetention)
        if (auto v = parsed.get(r.option))
            policy[r.key] = parse_int_option(r.option, *v, 0, r.max);
    for (const auto &r : kLogicalRetention)
        if (auto v = parsed.get(r.option))
            policy["logical"][r.key] = parse_int_option(r.option, *v, 0, r.max);
    if (auto w = parsed.get("wal-retention")) {
        if (*w != "all" && *w != "consistent")
            throw UsageError("--wal-retention must be all or consistent, not \"" + *w + "\"");
        policy["wal"] = *w;
    }
    const bool dry_run = parsed.has("dry-run");
    RepoConfig repo(parsed);

    char *raw = nullptr;
    sk_msg msg{};
    int rc = sk_expire(repo.get(), policy.dump().c_str(), dry_run ? 1 : 0, &raw, &msg);
    std::unique_ptr<char, void (*)(void *)> text(raw, sk_free);
    if (rc != SK_OK)
        throw CliError(std::string("expire failed: ") + msg.text);
    nlohmann::json plan = nlohmann::json::parse(text.get());
    if (output == "json") {
        std::printf("%s\n", plan.dump(2).c_str());
        return kExitOk;
    }
    Table table({"label", "type", "action", "reason"});
    for (const auto &b : plan["backups"]) {
        // Logical backups: "logical (schema-only)", the kind retention counts by.
        std::string kind = b.value("kind", "");
        table.add({b.value("label", ""),
                   b.value("type", "") + (kind.empty() ? "" : " (" + kind + ")"),
                   b.value("action", ""), b.value("reason", "")});
    }
    if (plan["backups"].empty())
        std::printf("backups: none\n");
    else
        std::fputs(table.render().c_str(), stdout);
    const auto &wal = plan["wal"];
    std::string before =
        wal["remove_before"].is_null() ? std::string("-") : wal["remove_before"].get<std::string>();
    std::printf("\nwal (%s): %s %llu file(s) (%s) before %s\n", wal.value("mode", "").c_str(),
                dry_run ? "would remove" : "removed",
                static_cast<unsigned long long>(wal.value("removed_count", uint64_t{0})),
                format_bytes(wal.value("removed_bytes", uint64_t{0})).c_str(), before.c_str());
    std::printf("%s%s\n", msg.text, dry_run ? " (dry run: nothing was changed)" : "");
    return kExitOk;
}

} // namespace safekeep::cli
