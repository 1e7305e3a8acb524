// verify: check backups, their chains and their WAL, from the repository alone.
#include "commands.h"

#include "pg_safekeep/capi.h"
#include "cli_error.h"
#include "format.h"
#include "interrupt.h"
#include "options.h"
#include "repo_config.h"

#include <nlohmann/json.hpp>

#include <cstdio>
#include <memory>

namespace safekeep::cli {

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
