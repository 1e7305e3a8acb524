#include "restore/server.h"

#include "os/files.h"
#include "util/error.h"
#include "os/process.h"
#include "os/file_tail.h"
#include "restore/promotion.h"

#include <chrono>
#include <fstream>
#include <thread>
#include <vector>

namespace safekeep {

namespace {

std::string trim_end(std::string s) {
    while (!s.empty() && (s.back() == '\n' || s.back() == ' '))
        s.pop_back();
    return s;
}

} // namespace

void start_server(const std::string &bindir, const std::string &pgdata, int port,
                  const std::string &log_path, int timeout_seconds, const CancelPoll &cancel) {
    if (port < 1 || port > 65535)
        throw Error("port " + std::to_string(port) + " is out of range (1..65535)");
    if (timeout_seconds < 1)
        timeout_seconds = 60;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_seconds);
    std::string pg_ctl = posix::join(bindir, "pg_ctl");
    // pg_ctl hands -o to a shell: only ever put the integer port there.
    std::vector<std::string> args = {
        pg_ctl, "start", "-w",     "-t", std::to_string(timeout_seconds), "-D",
        pgdata, "-l",    log_path, "-o", "-p " + std::to_string(port)};
    // pg_ctl's own chatter ("waiting for server to start") stays out of the
    // caller's log; it is quoted when pg_ctl fails.
    RunOptions ro;
    ro.capture = true;
    ro.capture_limit = 4096;
    ro.cancel = cancel;
    RunResult r = run_program(args, ro);
    if (r.exit_code != 0)
        throw Error("pg_ctl start of \"" + pgdata + "\" failed with exit code " +
                    std::to_string(r.exit_code) + ": " + trim_end(r.output) + "; end of log \"" +
                    log_path + "\":\n" + tail_lines(log_path, 20));

    // pg_ctl -w returns once connections are accepted, which a hot standby
    // still in recovery also does; wait for the promotion (pg_control).
    auto left = std::chrono::duration_cast<std::chrono::seconds>(deadline -
                                                                 std::chrono::steady_clock::now());
    wait_until_promoted(pgdata, log_path, std::max<int>(1, static_cast<int>(left.count())), cancel);
}

void stop_server_immediate(const std::string &bindir, const std::string &pgdata,
                           int timeout_seconds) {
    if (timeout_seconds < 1)
        timeout_seconds = 60;
    std::vector<std::string> args = {
        posix::join(bindir, "pg_ctl"),   "stop", "-m",  "immediate", "-w", "-t",
        std::to_string(timeout_seconds), "-D",   pgdata};
    RunOptions ro;
    ro.capture = true;
    ro.capture_limit = 4096;
    // pg_ctl has its own limit; this one only guards against a hung pg_ctl.
    ro.timeout_seconds = timeout_seconds + 30;
    RunResult r = run_program(args, ro);
    if (r.exit_code != 0)
        throw Error("pg_ctl stop of \"" + pgdata + "\" failed with exit code " +
                    std::to_string(r.exit_code) + ": " + trim_end(r.output));
}

} // namespace safekeep
