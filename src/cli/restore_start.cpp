#include "restore_start.h"

#include "pg_safekeep/capi.h"
#include "cli_error.h"

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <unistd.h>

namespace safekeep::cli {

std::vector<OptionSpec> start_option_specs() {
    return {{"start", false}, {"port", true}, {"start-timeout", true}};
}

StartRequest parse_start_request(const ParsedArgs &args, const RestoreTarget &target,
                                 const std::string &tool_path, const std::string &pgdata) {
    StartRequest req;
    req.start = args.has("start");
    for (const char *o : {"port", "start-timeout"})
        if (!req.start && args.has(o))
            throw UsageError(std::string("option --") + o + " needs --start");
    if (!req.start)
        return req;
    if (!target.action.empty() && target.action != "promote")
        throw UsageError("--start waits for the server to be promoted: it cannot be used with "
                         "--target-action=" +
                         target.action);
    if (auto p = args.get("port"))
        req.port = parse_int_option("port", *p, 1, 65535);
    if (auto t = args.get("start-timeout"))
        req.timeout_seconds = parse_int_option("start-timeout", *t, 1, 7 * 24 * 3600);
    // make install puts pg_safekeep beside pg_ctl, in PostgreSQL's bindir.
    req.bindir = std::filesystem::path(tool_path).parent_path().string();
    req.log_path = (std::filesystem::path(pgdata) / "pg_safekeep_start.log").string();
    return req;
}

void check_can_start(const StartRequest &req) {
    if (!req.start)
        return;
    if (::geteuid() == 0)
        throw CliError("--start: PostgreSQL cannot be run as root; run pg_safekeep restore "
                       "--start as the user that owns the server (e.g. postgres)");
    std::string pg_ctl = (std::filesystem::path(req.bindir) / "pg_ctl").string();
    if (::access(pg_ctl.c_str(), X_OK) != 0)
        throw CliError("--start: no pg_ctl beside pg_safekeep (\"" + pg_ctl +
                       "\" is missing or not executable); install pg_safekeep into "
                       "PostgreSQL's bin directory");
    sk_msg msg{};
    if (sk_check_port_free(req.port, &msg) != SK_OK)
        throw CliError("--start: " + std::string(msg.text));
}

void start_restored_server(const StartRequest &req, const std::string &pgdata) {
    sk_msg msg{};
    if (sk_start_server(req.bindir.c_str(), pgdata.c_str(), req.port, req.log_path.c_str(),
                        req.timeout_seconds, &msg) != SK_OK)
        throw CliError("restored into " + pgdata + ", but starting the server failed: " + msg.text);
}

} // namespace safekeep::cli
