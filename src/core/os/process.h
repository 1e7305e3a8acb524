// Runs a program from an argument vector (posix_spawn, never a shell).
#pragma once

#include "os/parallel.h"

#include <cstddef>
#include <string>
#include <sys/types.h>
#include <vector>

namespace safekeep {

struct RunOptions {
    // Collect stdout and stderr (interleaved as written) instead of letting
    // the child inherit ours; only the last capture_limit bytes are kept.
    bool capture = false;
    size_t capture_limit = 64 * 1024;
    // <1: no limit. On expiry the child is killed (SIGKILL) and Error thrown.
    int timeout_seconds = 0;
    // Polled about every 100 ms; true kills the child and throws Canceled.
    CancelPoll cancel;
};

struct RunResult {
    int exit_code = 0; // exit status, or 128 + signal number
    std::string output;
    bool truncated = false; // output lost its beginning to capture_limit
};

// args[0] is the program's path (no PATH search). stdin is /dev/null; the
// child starts with an empty signal mask and default signal dispositions
// (the caller may be a PostgreSQL backend, which blocks and catches many).
// Throws Error when it cannot be started or waited for.
RunResult run_program(const std::vector<std::string> &args, const RunOptions &opts = {});

// Starts args[0] (no shell, no PATH search) with stdin from in_fd (<0:
// /dev/null) and stdout/stderr to out_fd/err_fd (<0: inherited), the same
// signal set-up as run_program. Returns the pid; the caller waits for it.
// Throws Error when it cannot be started.
pid_t spawn_program(const std::vector<std::string> &args, int in_fd, int out_fd, int err_fd);

} // namespace safekeep
