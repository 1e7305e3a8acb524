// restore: a backup into an empty data directory, set up to recover to a target.
#include "commands.h"

#include "pg_safekeep/capi.h"
#include "cli_error.h"
#include "format.h"
#include "interrupt.h"
#include "options.h"
#include "repo_config.h"
#include "restore_start.h"
#include "restore_target.h"
#include "rto_rpo.h"

#include <algorithm>
#include <chrono>
#include <climits>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <unistd.h>

namespace safekeep::cli {

namespace {

std::vector<OptionSpec> restore_specs() {
    std::vector<OptionSpec> spec = repo_option_specs();
    for (const char *v :
         {"pgdata", "set", "target-time", "target-lsn", "target-xid", "target-name", "target",
          "target-action", "target-timeline", "archive-mode", "parallel", "compress-level"})
        spec.push_back({v, true});
    for (const char *f : {"target-exclusive", "tablespace-in-place", "help"})
        spec.push_back({f, false});
    for (const auto &s : start_option_specs())
        spec.push_back(s);
    return spec;
}

// A restore run as root makes a root-owned data directory PostgreSQL will
// not start on; the server's own user must run it.
void refuse_root() {
    if (::geteuid() == 0)
        throw CliError("pg_safekeep restore must not run as root: the data directory would be "
                       "owned by root and PostgreSQL refuses to start on it; run it as the user "
                       "that owns the server, e.g. runuser -u postgres -- pg_safekeep restore ...");
}

// Short and without control characters: safe to echo in a message.
bool printable(const std::string &s) {
    return s.size() <= 64 && std::all_of(s.begin(), s.end(), [](char c) {
               return static_cast<unsigned char>(c) >= 0x20 && c != 0x7f;
           });
}

// --archive-mode: preserve (the backup's setting) by default, off for a copy
// started here: a test copy must never archive into the live repository.
std::string archive_mode_option(const ParsedArgs &args, bool start) {
    auto mode = args.get("archive-mode");
    if (!mode)
        return start ? "off" : "preserve";
    if (*mode != "off" && *mode != "preserve")
        throw UsageError("--archive-mode must be off or preserve" +
                         (printable(*mode) ? ", not \"" + *mode + "\"" : std::string()));
    return *mode;
}

// --target-timeline: current, latest or a number (PostgreSQL's default: latest).
std::string target_timeline_option(const ParsedArgs &args) {
    auto tl = args.get("target-timeline");
    if (!tl)
        return "";
    sk_msg msg{};
    if (sk_check_target_timeline(tl->c_str(), &msg) != SK_OK)
        throw UsageError(std::string("--target-timeline: ") + msg.text);
    return *tl;
}

// restore_command must name this binary even when it was run by a relative path.
std::string self_path() {
    char buf[PATH_MAX];
    if (!realpath("/proc/self/exe", buf))
        throw CliError("cannot resolve /proc/self/exe");
    return buf;
}

void print_summary(const sk_restore_result &res, const std::string &pgdata,
                   const RestoreTarget &target, double seconds, const StartRequest &start) {
    std::printf("restored backup %s into %s: %llu files, %s in %.1f s\n", res.label, pgdata.c_str(),
                static_cast<unsigned long long>(res.file_count), format_bytes(res.bytes).c_str(),
                seconds);
    if (target.type.empty())
        std::printf("recovery target: none (replays every archived WAL segment)\n");
    else
        std::printf("recovery target: %s%s%s%s (then %s)\n", target.type.c_str(),
                    target.value.empty() ? "" : " '", target.value.c_str(),
                    target.value.empty() ? "" : "'",
                    target.action.empty() ? "promote" : target.action.c_str());
    if (start.start) {
        // Printed before the wait, which lasts as long as the replay.
        std::printf("starting the server on port %d to replay WAL and promote; log: %s\n",
                    start.port, start.log_path.c_str());
        std::fflush(stdout);
        return;
    }
    std::printf("start the server to replay WAL: pg_ctl -D %s start\n", pgdata.c_str());
    std::printf("RTO/RPO: not measured (restore with --start to start the server here and "
                "measure them)\n");
}

// Starts the restored server and prints the RTO/RPO lines once it is promoted.
void start_and_report(const sk_config &cfg, const StartRequest &start, const std::string &pgdata,
                      std::chrono::steady_clock::time_point started, double restore_seconds) {
    // From here Ctrl-C ends the wait, not the server: pg_ctl starts it in its
    // own session.
    std::signal(SIGINT, SIG_DFL);
    std::signal(SIGTERM, SIG_DFL);
    start_restored_server(start, pgdata);
    double rto = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();

    sk_recovery_figures fig{};
    sk_msg msg{};
    std::string note;
    if (sk_recovery_figures_read(&cfg, start.log_path.c_str(), &fig, &msg) == SK_OK)
        note = msg.text;
    else
        note = std::string("cannot read the recovery figures: ") + msg.text;
    std::printf("%s\n", rto_line(restore_seconds, rto - restore_seconds).c_str());
    std::printf("%s\n", rpo_line(fig, note).c_str());
    sk_recovery_figures_free(&fig);
}

} // namespace

int run_restore(const std::vector<std::string> &args) {
    ParsedArgs parsed = parse_options("restore", args, restore_specs());
    if (parsed.has("help")) {
        print_help("restore");
        return kExitOk;
    }
    if (!parsed.positionals.empty())
        throw UsageError("unexpected argument \"" + parsed.positionals[0] + "\" for restore");
    refuse_root();
    RepoConfig repo(parsed);
    auto pgdata_opt = parsed.get("pgdata");
    if (!pgdata_opt || pgdata_opt->empty())
        throw UsageError("--pgdata is required");
    const std::string pgdata = std::filesystem::absolute(*pgdata_opt).lexically_normal().string();
    RestoreTarget target = parse_restore_target(parsed, static_cast<int64_t>(std::time(nullptr)));

    sk_config cfg = *repo.get();
    if (auto p = parsed.get("parallel"))
        cfg.parallel = parse_int_option("parallel", *p, 1, 64);
    const std::string tool = self_path();
    const std::string label = parsed.get("set").value_or("");
    if (sk_msg msg{};
        !label.empty() && sk_check_backup_label(label.c_str(), "--set", &msg) != SK_OK)
        throw UsageError(msg.text);
    StartRequest start = parse_start_request(parsed, target, tool, pgdata);
    check_can_start(start);
    const std::string archive_mode = archive_mode_option(parsed, start.start);
    const std::string timeline = target_timeline_option(parsed);

    sk_restore_opts opts{};
    opts.pgdata = pgdata.c_str();
    opts.label = label.empty() ? nullptr : label.c_str();
    opts.target_type = target.type.empty() ? nullptr : target.type.c_str();
    opts.target_value = target.value.empty() ? nullptr : target.value.c_str();
    opts.target_action = target.action.empty() ? nullptr : target.action.c_str();
    opts.target_time_unix = target.time_unix;
    opts.target_inclusive = target.inclusive ? 1 : 0;
    opts.tool_path = tool.c_str();
    opts.tablespaces_in_place = parsed.has("tablespace-in-place") ? 1 : 0;
    opts.archive_mode = archive_mode.c_str();
    opts.target_timeline = timeline.empty() ? nullptr : timeline.c_str();

    catch_interrupts();
    auto started = std::chrono::steady_clock::now();
    sk_restore_result res{};
    sk_msg msg{};
    int rc = sk_restore(&cfg, &opts, cancel_requested, &res, &msg);
    if (rc == SK_CANCELED)
        throw CliError("restore canceled");
    if (rc != SK_OK)
        throw CliError(std::string("restore failed: ") + msg.text);
    double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    // msg.text holds the core's one-line summary, which this one covers.
    print_summary(res, pgdata, target, seconds, start);
    if (start.start)
        start_and_report(cfg, start, pgdata, started, seconds);
    return kExitOk;
}

} // namespace safekeep::cli
