// pg_safekeep: restores and inspects a pg_safekeep repository without a
// running server.  This file only dispatches to the subcommands.
#include "cli_error.h"
#include "commands.h"

#include <cstdio>
#include <exception>
#include <string>
#include <vector>

namespace safekeep::cli {

void print_error(const std::string &text) {
    std::fprintf(stderr, "pg_safekeep: error: %s\n", text.c_str());
}

static int dispatch(const std::string &command, const std::vector<std::string> &args) {
    if (command == "info")
        return run_info(args);
    if (command == "restore")
        return run_restore(args);
    if (command == "archive-get")
        return run_archive_get(args);
    if (command == "verify")
        return run_verify(args);
    if (command == "expire")
        return run_expire(args);
    if (command == "rekey")
        return run_rekey(args);
    if (command == "version" || command == "--version") {
        print_version();
        return kExitOk;
    }
    if (command == "help" || command == "--help" || command == "-h") {
        print_help(args.empty() ? "" : args[0]);
        return kExitOk;
    }
    throw UsageError("unknown subcommand \"" + command + "\" (try \"pg_safekeep help\")");
}

} // namespace safekeep::cli

int main(int argc, char **argv) {
    using namespace safekeep::cli;
    if (argc < 2) {
        print_help("");
        return kExitUsage;
    }
    std::vector<std::string> args(argv + 2, argv + argc);
    try {
        return dispatch(argv[1], args);
    } catch (const UsageError &e) {
        print_error(e.what());
        return kExitUsage;
    } catch (const std::exception &e) {
        print_error(e.what());
        return kExitError;
    }
}
