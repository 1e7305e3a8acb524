// archive-get: the restore_command.  Exit status is part of the contract with
// PostgreSQL: 1 means "not in the archive" (recovery may end normally there),
// and every other failure is 200 (> 125, so the startup process treats it as
// fatal instead of ending recovery early at a corrupt or unreadable file).
#include "commands.h"

#include "pg_safekeep/capi.h"
#include "cli_error.h"
#include "options.h"
#include "repo_config.h"

#include <cstdio>
#include <exception>

namespace safekeep::cli {

namespace {

constexpr int kExitNotFound = 1;
constexpr int kExitFatal = 200;

int fetch(const std::vector<std::string> &args) {
    std::vector<OptionSpec> spec = repo_option_specs();
    spec.push_back({"help", false});
    ParsedArgs parsed = parse_options("archive-get", args, spec);
    if (parsed.has("help")) {
        print_help("archive-get");
        return kExitOk;
    }
    if (parsed.positionals.size() != 2)
        throw UsageError("archive-get needs WALNAME and DESTPATH");
    RepoConfig repo(parsed);
    const std::string &wal = parsed.positionals[0];
    const std::string &dest = parsed.positionals[1];

    sk_msg msg{};
    int rc = sk_archive_get(repo.get(), wal.c_str(), dest.c_str(), &msg);
    if (rc == SK_OK)
        return kExitOk;
    if (rc == SK_NOT_FOUND) {
        std::fprintf(stderr, "pg_safekeep: archive-get: %s not found in the repository\n",
                     wal.c_str());
        return kExitNotFound;
    }
    print_error("archive-get " + wal + ": " + msg.text);
    return kExitFatal;
}

} // namespace

int run_archive_get(const std::vector<std::string> &args) {
    // Bad options are fatal too: a broken restore_command must stop recovery.
    try {
        return fetch(args);
    } catch (const std::exception &e) {
        print_error(e.what());
        return kExitFatal;
    }
}

} // namespace safekeep::cli
