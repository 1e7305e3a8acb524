// verify: check backups, their chains and their WAL, from the repository alone.
#include "commands.h"

#include "capi_config.h"
#include "pg_safekeep/capi.h"
#include "util/error.h"
#include "verify/verify_all.h"
#include "verify_json.h"
#include "cli_error.h"
#include "format.h"
#include "interrupt.h"
#include "options.h"
#include "repo_config.h"

#include <cstdio>
#include <new>

namespace safekeep::cli {

namespace {

int configured_repositories(const sk_config &cfg) {
    int n = 0;
    for (const auto &r : cfg.repos)
        n += (r.type && r.type[0]) || (r.path && r.path[0]);
    return n;
}

void print_problems(const std::vector<VerifyProblem> &problems) {
    Table table({"label", "kind", "object", "detail"});
    for (const auto &p : problems)
        table.add({p.label, p.kind, p.object, p.detail});
    std::fputs(table.render().c_str(), stdout);
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
        std::printf("%s\n", verify_results_json(all).dump(2).c_str());
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
        print_problems(v.report.problems);
    }
    if (!found)
        throw CliError("verify failed: backup \"" + label + "\" is in no repository");
    return clean ? kExitOk : kExitError;
}

// One repository (--repo, or the only one configured).
VerifyReport verify_one(const sk_config &cfg, const std::string &label, bool wal_to_newest) {
    try {
        return verify_backups(capi_detail::to_config(&cfg), label, wal_to_newest,
                              [] { return cancel_requested() != 0; });
    } catch (const Canceled &) {
        throw CliError("verify canceled");
    } catch (const std::bad_alloc &) {
        throw CliError("verify failed: out of memory");
    } catch (const std::exception &e) {
        throw CliError(std::string("verify failed: ") + e.what());
    }
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
    const VerifyReport r = verify_one(cfg, label, parsed.has("wal-to-newest"));
    const std::string summary = verify_summary(r);
    if (output == "json") {
        std::printf("%s\n", verify_problems_json(r.problems).dump(2).c_str());
    } else if (r.problems.empty()) {
        std::printf("%s: no problems found\n", summary.c_str());
    } else {
        print_problems(r.problems);
        std::printf("%s\n", summary.c_str());
    }
    return r.problems.empty() ? kExitOk : kExitError;
}

} // namespace safekeep::cli
