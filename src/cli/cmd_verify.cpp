// verify: check backups, their chains and their WAL, from the repository alone.
#include "commands.h"

#include "capi_config.h"
#include "pg_safekeep/capi.h"
#include "verify/verify_all.h"
#include "cli_error.h"
#include "format.h"
#include "interrupt.h"
#include "options.h"
#include "repo_config.h"

#include <nlohmann/json.hpp>

#include <cstdio>
#include <memory>

namespace safekeep::cli {

namespace {

int configured_repositories(const sk_config &cfg) {
    int n = 0;
    for (const auto &r : cfg.repos)
        n += (r.type && r.type[0]) || (r.path && r.path[0]);
    return n;
}

// Several repositories and no --repo: each is verified on its own, so a bad
// object in one is found and one that cannot be read hides no other.
int verify_each_repository(const sk_config &cfg, const std::string &label, bool wal_to_newest,
                           const std::string &output) {
    std::vector<RepositoryVerify> all = verify_every_repository(
        capi_detail::to_config(&cfg), label, wal_to_newest, [] { return cancel_requested() != 0; });
    bool clean = true, found = label.empty();
    for (const auto &v : all) {
        clean = clean && v.outcome != RepositoryVerify::Outcome::Unreadable &&
                v.report.problems.empty();
        found = found || v.outcome == RepositoryVerify::Outcome::Verified;
    }
    if (output == "json") {
        std::printf("%s\n", nlohmann::json::parse(repository_verify_json(all)).dump(2).c_str());
        return clean && found ? kExitOk : kExitError;
    }
    for (const auto &v : all) {
        const std::string name = "repo" + std::to_string(v.repository);
        if (v.outcome != RepositoryVerify::Outcome::Verified) {
            std::printf("%s: %s: %s\n", name.c_str(),
                        v.outcome == RepositoryVerify::Outcome::NotFound ? "not there"
                                                                         : "could not be read",
                        v.error.c_str());
            continue;
        }
        std::printf("%s: verified %zu backup(s): %zu problem(s)\n", name.c_str(),
                    v.report.checked.size(), v.report.problems.size());
        if (v.report.problems.empty())
            continue;
        Table table({"label", "kind", "object", "detail"});
        for (const auto &p : v.report.problems)
            table.add({p.label, p.kind, p.object, p.detail});
        std::fputs(table.render().c_str(), stdout);
    }
    if (!found)
        throw CliError("verify failed: backup \"" + label + "\" is in no repository");
    return clean ? kExitOk : kExitError;
}

} // namespace

int run_verify(const std::vector<std::string> &args) {
    std::vector<OptionSpec> spec = repo_option_specs();
    for (const char *v : {"set", "output", "parallel"})
        spec.push_back({v, true});
    for (const char *f : {"wal-to-newest", "help"})
        spec.push_back({f, false});
    ParsedArgs parsed = parse_options("verify", args, spec);
    if (parsed.has("help")) {
        print_help("verify");
        return kExitOk;
    }
    if (!parsed.positionals.empty())
        throw UsageError("unexpected argument \"" + parsed.positionals[0] + "\" for verify");
    std::string output = parsed.get("output").value_or("text");
    if (output != "text" && output != "json")
        throw UsageError("--output must be text or json, not \"" + output + "\"");
    RepoConfig repo(parsed);
    sk_config cfg = *repo.get();
    if (auto p = parsed.get("parallel"))
        cfg.parallel = parse_int_option("parallel", *p, 1, 64);
    const std::string label = parsed.get("set").value_or("");
    if (sk_msg bad{};
        !label.empty() && sk_check_backup_label(label.c_str(), "--set", &bad) != SK_OK)
        throw UsageError(bad.text);

    catch_interrupts();
    if (cfg.read_repo == 0 && configured_repositories(cfg) > 1)
        return verify_each_repository(cfg, label, parsed.has("wal-to-newest"), output);
    char *raw = nullptr;
    sk_msg msg{};
    int rc = sk_verify_backup(&cfg, label.empty() ? nullptr : label.c_str(),
                              parsed.has("wal-to-newest") ? 1 : 0, cancel_requested, &raw, &msg);
    std::unique_ptr<char, void (*)(void *)> text(raw, sk_free);
    if (rc == SK_CANCELED)
        throw CliError("verify canceled");
    if (rc != SK_OK)
        throw CliError(std::string("verify failed: ") + msg.text);
    nlohmann::json problems = nlohmann::json::parse(text.get());

    if (output == "json") {
        std::printf("%s\n", problems.dump(2).c_str());
    } else if (problems.empty()) {
        std::printf("%s: no problems found\n", msg.text);
    } else {
        Table table({"label", "kind", "object", "detail"});
        for (const auto &p : problems)
            table.add({p.value("label", ""), p.value("kind", ""), p.value("object", ""),
                       p.value("detail", "")});
        std::fputs(table.render().c_str(), stdout);
        std::printf("%s\n", msg.text);
    }
    return problems.empty() ? kExitOk : kExitError;
}

} // namespace safekeep::cli
