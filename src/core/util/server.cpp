#include "util/server.h"

#include "storage/posix.h"
#include "util/error.h"

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstring>
#include <fstream>
#include <spawn.h>
#include <sstream>
#include <sys/wait.h>
#include <thread>
#include <vector>

extern char **environ;

namespace safekeep {

std::string tail_lines(const std::string &path, int n) {
    std::string text;
    try {
        text = posix::read_file(path);
    } catch (const Error &) {
        return "";
    }
    if (text.size() > 256 * 1024)
        text.erase(0, text.size() - 256 * 1024);
    size_t pos = text.size();
    if (pos > 0 && text[pos - 1] == '\n')
        pos--;
    for (int i = 0; i < n && pos != std::string::npos && pos > 0; i++)
        pos = text.rfind('\n', pos - 1);
    return pos == std::string::npos ? text : text.substr(pos + 1);
}

namespace {

// Runs argv without a shell, with default signal handling and an empty
// signal mask in the child (the caller may be a PostgreSQL backend).
int spawn_and_wait(const std::vector<std::string> &args) {
    std::vector<char *> argv;
    for (const auto &a : args)
        argv.push_back(const_cast<char *>(a.c_str()));
    argv.push_back(nullptr);

    posix_spawnattr_t attr;
    posix_spawnattr_init(&attr);
    sigset_t empty, all;
    sigemptyset(&empty);
    sigfillset(&all);
    posix_spawnattr_setsigmask(&attr, &empty);
    posix_spawnattr_setsigdefault(&attr, &all);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
    pid_t pid;
    int rc = posix_spawn(&pid, argv[0], nullptr, &attr, argv.data(), environ);
    posix_spawnattr_destroy(&attr);
    if (rc != 0)
        throw_errno("could not run \"" + args[0] + "\"", rc);
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR)
            throw_errno("could not wait for \"" + args[0] + "\"");
    }
    if (WIFEXITED(status))
        return WEXITSTATUS(status);
    return 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}

// Line 8 of postmaster.pid: "ready", "standby", "starting" or "stopping".
std::string postmaster_status(const std::string &pgdata) {
    std::ifstream in(posix::join(pgdata, "postmaster.pid"));
    if (!in)
        return "";
    std::string line;
    for (int i = 0; i < 8 && std::getline(in, line); i++) {
    }
    while (!line.empty() && (line.back() == ' ' || line.back() == '\n'))
        line.pop_back();
    return line;
}

} // namespace

void start_server(const std::string &bindir, const std::string &pgdata, int port,
                  const std::string &log_path, int timeout_seconds) {
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
    int rc = spawn_and_wait(args);
    if (rc != 0)
        throw Error("pg_ctl start of \"" + pgdata + "\" failed with exit code " +
                    std::to_string(rc) + "; end of log \"" + log_path + "\":\n" +
                    tail_lines(log_path, 20));

    // pg_ctl -w returns once connections are accepted, which a hot standby
    // still in recovery also does; wait for the promotion.
    for (;;) {
        std::string st = postmaster_status(pgdata);
        if (st == "ready")
            return;
        if (st.empty())
            throw Error("server in \"" + pgdata + "\" stopped after starting; end of log \"" +
                        log_path + "\":\n" + tail_lines(log_path, 20));
        if (std::chrono::steady_clock::now() >= deadline)
            throw Error("server in \"" + pgdata + "\" is still in recovery (status \"" + st +
                        "\") after " + std::to_string(timeout_seconds) + " seconds; end of log \"" +
                        log_path + "\":\n" + tail_lines(log_path, 20));
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
}

} // namespace safekeep
