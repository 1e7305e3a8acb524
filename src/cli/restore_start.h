// `restore --start`: start the restored server here and wait for its promotion,
// so that the tool can measure the recovery (RTO) instead of leaving it to pg_ctl.
#pragma once

#include "options.h"
#include "restore_target.h"

#include <string>
#include <vector>

namespace safekeep::cli {

struct StartRequest {
    bool start = false;
    int port = 5432;
    int timeout_seconds = 3600;
    std::string bindir;   // holds pg_ctl: the directory of this binary
    std::string log_path; // <pgdata>/pg_safekeep_start.log
};

// --start, --port and --start-timeout.
std::vector<OptionSpec> start_option_specs();

// Throws UsageError for --port or --start-timeout without --start, and for
// --start with a target action other than promote (the server would never
// become a primary to wait for).
StartRequest parse_start_request(const ParsedArgs &args, const RestoreTarget &target,
                                 const std::string &tool_path, const std::string &pgdata);

// Checks made before restoring, so that a restore that cannot be started
// fails before it copies anything: not root, pg_ctl present, port free.
void check_can_start(const StartRequest &req);

// Starts the server and waits until it is promoted; throws CliError with the
// end of the server log.
void start_restored_server(const StartRequest &req, const std::string &pgdata);

} // namespace safekeep::cli
