// rekey: re-wrap the data keys of an encrypted repository under a new
// passphrase.  The passphrases are only ever read from files.
#include "commands.h"

#include "pg_safekeep/capi.h"
#include "cli_error.h"
#include "options.h"
#include "repo_config.h"

#include <cstdio>
#include <filesystem>

namespace safekeep::cli {

int run_rekey(const std::vector<std::string> &args) {
    std::vector<OptionSpec> spec = repo_option_specs();
    spec.push_back({"new-passphrase-file", true});
    spec.push_back({"help", false});
    ParsedArgs parsed = parse_options("rekey", args, spec);
    if (parsed.has("help")) {
        print_help("rekey");
        return kExitOk;
    }
    if (!parsed.positionals.empty())
        throw UsageError("unexpected argument \"" + parsed.positionals[0] + "\" for rekey");
    if (!parsed.has("repo"))
        throw UsageError("--repo=N is required: the repository to rekey");
    auto file = parsed.get("new-passphrase-file");
    if (!file || file->empty())
        throw UsageError("--new-passphrase-file is required");
    const std::string new_file = std::filesystem::absolute(*file).lexically_normal().string();
    RepoConfig repo(parsed);
    const int n = repo.read_repo();

    sk_msg msg{};
    int rc = sk_rekey(repo.get(), n, new_file.c_str(), &msg);
    if (rc != SK_OK)
        throw CliError("rekey of repository " + std::to_string(n) + " failed: " + msg.text);
    if (msg.text[0] != '\0')
        std::printf("%s\n", msg.text);
    else
        std::printf("repository %d (%s): rekeyed\n", n, repo.describe().c_str());
    return kExitOk;
}

} // namespace safekeep::cli
