#include "os/process.h"

#include "util/error.h"
#include "os/stop.h"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <fcntl.h>
#include <optional>
#include <poll.h>
#include <spawn.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

extern char **environ;

namespace safekeep {

namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr milliseconds kPollInterval(100);

// Kills and reaps the child unless it was reaped normally, so no error path
// leaves a running program or a zombie behind.
class Child {
  public:
    Child(pid_t pid, std::string name) : pid_(pid), name_(std::move(name)) {}
    ~Child() {
        if (pid_ > 0) {
            ::kill(pid_, SIGKILL);
            int status;
            while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
            }
        }
    }
    Child(const Child &) = delete;
    Child &operator=(const Child &) = delete;

    // True once the child has exited; status then holds its wait status.
    bool reap(bool block, int &status) {
        for (;;) {
            pid_t r = ::waitpid(pid_, &status, block ? 0 : WNOHANG);
            if (r == pid_) {
                pid_ = -1;
                return true;
            }
            if (r == 0)
                return false;
            if (errno != EINTR)
                throw_errno("could not wait for \"" + name_ + "\"");
        }
    }

  private:
    pid_t pid_;
    std::string name_;
};

// The tail of the child's output, bounded by limit.
class OutputTail {
  public:
    explicit OutputTail(size_t limit) : limit_(limit) {}
    void append(const char *p, size_t n) {
        data_.append(p, n);
        // Trim in batches rather than on every read.
        if (data_.size() > 2 * limit_ + 65536)
            trim();
    }
    void trim() {
        if (data_.size() > limit_) {
            data_.erase(0, data_.size() - limit_);
            truncated_ = true;
        }
    }
    std::string &data() { return data_; }
    bool truncated() const { return truncated_; }

  private:
    size_t limit_;
    std::string data_;
    bool truncated_ = false;
};

class Pipe {
  public:
    Pipe() {
        // Close-on-exec, so programs other threads start do not inherit them.
        if (::pipe2(fds_, O_CLOEXEC) != 0)
            throw_errno("could not create a pipe");
    }
    ~Pipe() {
        close_read();
        close_write();
    }
    Pipe(const Pipe &) = delete;
    Pipe &operator=(const Pipe &) = delete;
    int read_fd() const { return fds_[0]; }
    int write_fd() const { return fds_[1]; }
    void close_read() { close_fd(fds_[0]); }
    void close_write() { close_fd(fds_[1]); }

  private:
    static void close_fd(int &fd) {
        if (fd >= 0)
            ::close(fd);
        fd = -1;
    }
    int fds_[2] = {-1, -1};
};

// Reads what is available; false at end of file.
bool read_some(int fd, OutputTail &out, const std::string &name) {
    char buf[16384];
    for (;;) {
        ssize_t n = ::read(fd, buf, sizeof buf);
        if (n > 0) {
            out.append(buf, static_cast<size_t>(n));
            return true;
        }
        if (n == 0)
            return false;
        if (errno == EINTR)
            continue;
        if (errno == EAGAIN)
            return true;
        throw_errno("could not read the output of \"" + name + "\"");
    }
}

// After the child exits, takes what it left in the pipe without waiting for
// end of file: a program it started in the background may hold the pipe open.
void drain(int fd, OutputTail &out, const std::string &name) {
    int flags = ::fcntl(fd, F_GETFL);
    if (flags < 0 || ::fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0)
        throw_errno("could not read the output of \"" + name + "\"");
    char buf[16384];
    for (;;) {
        ssize_t n = ::read(fd, buf, sizeof buf);
        if (n > 0)
            out.append(buf, static_cast<size_t>(n));
        else if (n == 0 || errno == EAGAIN)
            return;
        else if (errno != EINTR)
            throw_errno("could not read the output of \"" + name + "\"");
    }
}

int decode_status(int status) {
    if (WIFEXITED(status))
        return WEXITSTATUS(status);
    return 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}

std::string last_bytes(const std::string &s, size_t n) {
    return s.size() <= n ? s : "..." + s.substr(s.size() - n);
}

} // namespace

RunResult run_program(const std::vector<std::string> &args, const RunOptions &opts) {
    if (args.empty() || args[0].empty())
        throw Error("no program to run");
    const std::string &name = args[0];
    std::optional<Pipe> pipe;
    if (opts.capture)
        pipe.emplace();
    Child child(spawn_program(args, -1, pipe ? pipe->write_fd() : -1, pipe ? pipe->write_fd() : -1),
                name);
    if (pipe)
        pipe->close_write();

    OutputTail out(opts.capture_limit);
    int status = 0;
    bool limited = opts.timeout_seconds > 0;
    auto deadline = Clock::now() + std::chrono::seconds(limited ? opts.timeout_seconds : 0);
    auto next_cancel_check = Clock::now() + kPollInterval;
    int read_fd = pipe ? pipe->read_fd() : -1;
    // Without output, a limit or a stop to watch, a plain blocking wait will do.
    bool exited =
        read_fd < 0 && !limited && !opts.cancel && !stop_watched() && child.reap(true, status);
    milliseconds sleep_for(1); // grows to kPollInterval, so quick programs return quickly
    while (!exited) {
        auto now = Clock::now();
        milliseconds wait = kPollInterval;
        if (limited)
            wait =
                std::min(wait, std::max(milliseconds(0),
                                        std::chrono::duration_cast<milliseconds>(deadline - now)));
        if (read_fd >= 0) {
            struct pollfd p = {read_fd, POLLIN, 0};
            int rc = ::poll(&p, 1, static_cast<int>(wait.count()));
            if (rc < 0 && errno != EINTR)
                throw_errno("could not wait for the output of \"" + name + "\"");
            if (rc > 0 && !read_some(read_fd, out, name)) {
                pipe->close_read();
                read_fd = -1;
            }
        } else {
            std::this_thread::sleep_for(std::min(sleep_for, wait));
            sleep_for = std::min(sleep_for * 2, kPollInterval);
        }
        if (child.reap(false, status)) {
            if (read_fd >= 0)
                drain(read_fd, out, name);
            break;
        }
        now = Clock::now();
        if (now >= next_cancel_check) {
            next_cancel_check = now + kPollInterval;
            // The process-wide poll too: a dead postmaster stops pg_dump and pg_ctl.
            if ((opts.cancel && opts.cancel()) || stop_requested())
                throw Canceled(); // ~Child kills and reaps it
        }
        if (limited && now >= deadline) {
            out.trim();
            std::string msg = "\"" + name + "\" did not finish within " +
                              std::to_string(opts.timeout_seconds) + " seconds and was killed";
            if (!out.data().empty())
                msg += "; last output:\n" + last_bytes(out.data(), 1024);
            throw Error(msg);
        }
    }
    out.trim();
    RunResult r;
    r.exit_code = decode_status(status);
    r.output = std::move(out.data());
    r.truncated = out.truncated();
    return r;
}

pid_t spawn_program(const std::vector<std::string> &args, int in_fd, int out_fd, int err_fd) {
    if (args.empty() || args[0].empty())
        throw Error("no program to run");
    std::vector<char *> argv;
    for (const auto &a : args)
        argv.push_back(const_cast<char *>(a.c_str()));
    argv.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    if (in_fd >= 0)
        posix_spawn_file_actions_adddup2(&actions, in_fd, 0);
    else
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    if (out_fd >= 0)
        posix_spawn_file_actions_adddup2(&actions, out_fd, 1);
    if (err_fd >= 0)
        posix_spawn_file_actions_adddup2(&actions, err_fd, 2);
    // The caller may be a PostgreSQL backend, which blocks and catches many signals.
    posix_spawnattr_t attr;
    posix_spawnattr_init(&attr);
    sigset_t empty, all;
    sigemptyset(&empty);
    sigfillset(&all);
    posix_spawnattr_setsigmask(&attr, &empty);
    posix_spawnattr_setsigdefault(&attr, &all);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
    pid_t pid;
    int rc = posix_spawn(&pid, argv[0], &actions, &attr, argv.data(), environ);
    posix_spawnattr_destroy(&attr);
    posix_spawn_file_actions_destroy(&actions);
    if (rc != 0)
        throw_errno("could not run \"" + args[0] + "\"", rc);
    return pid;
}

} // namespace safekeep
