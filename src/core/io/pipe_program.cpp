#include "io/pipe_program.h"

#include "util/error.h"
#include "os/process.h"
#include "os/stop.h"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

extern char **environ;

namespace safekeep {

namespace {

constexpr size_t kTail = 64 * 1024;

struct FdGuard {
    int fd = -1;
    ~FdGuard() { reset(); }
    void reset() {
        if (fd >= 0)
            ::close(fd);
        fd = -1;
    }
};

// Kills and reaps the child on every error path (no zombie, no orphan).
struct ChildGuard {
    pid_t pid = -1;
    std::string name;
    ~ChildGuard() {
        if (pid > 0) {
            ::kill(pid, SIGKILL);
            int st;
            while (::waitpid(pid, &st, 0) < 0 && errno == EINTR) {
            }
        }
    }
    // Polls, so a cancel or a stop still kills a child that runs on after
    // its pipe closed (pg_restore building indexes).
    int wait(const CancelPoll &cancel) {
        int st = 0;
        std::chrono::milliseconds nap(1);
        for (;;) {
            pid_t r = ::waitpid(pid, &st, WNOHANG);
            if (r == pid)
                break;
            if (r < 0 && errno != EINTR)
                throw_errno("could not wait for \"" + name + "\"");
            if (r == 0) {
                if ((cancel && cancel()) || stop_requested())
                    throw Canceled(); // the destructor kills and reaps it
                std::this_thread::sleep_for(nap);
                nap = std::min<std::chrono::milliseconds>(nap * 2, kStopSlice);
            }
        }
        pid = -1;
        if (WIFEXITED(st))
            return WEXITSTATUS(st);
        return 128 + (WIFSIGNALED(st) ? WTERMSIG(st) : 0);
    }
};

// diagnostics (and for restores stdout) go to an unlinked temporary file, so the
// child can never block on a full diagnostics pipe while we stream the other.
int temp_log_fd() {
    char tmpl[] = "/tmp/safekeep_pipe_XXXXXX";
    int fd = ::mkostemp(tmpl, O_CLOEXEC);
    if (fd < 0)
        throw_errno("could not create a temporary file");
    ::unlink(tmpl);
    return fd;
}

std::string read_tail(int fd) {
    off_t size = ::lseek(fd, 0, SEEK_END);
    if (size < 0)
        return {};
    off_t from = size > static_cast<off_t>(kTail) ? size - static_cast<off_t>(kTail) : 0;
    std::string out(static_cast<size_t>(size - from), '\0');
    ssize_t n = ::pread(fd, out.data(), out.size(), from);
    out.resize(n > 0 ? static_cast<size_t>(n) : 0);
    return out;
}

void make_pipe(int fds[2]) {
    if (::pipe2(fds, O_CLOEXEC) != 0)
        throw_errno("could not create a pipe");
}

// Waits until fd is ready for events, polling cancel and the process's stop
// every 100 ms.
void wait_ready(int fd, short events, const CancelPoll &cancel) {
    for (;;) {
        struct pollfd p = {fd, events, 0};
        int rc = ::poll(&p, 1, 100);
        if (rc > 0)
            return;
        if (rc < 0 && errno != EINTR)
            throw_errno("could not poll a pipe");
        if ((cancel && cancel()) || stop_requested())
            throw Canceled();
    }
}

// Writes into the child's stdin; stops quietly once the child stops reading.
class PipeWriter : public Sink {
  public:
    PipeWriter(int fd, const CancelPoll &cancel) : fd_(fd), cancel_(cancel) {}
    void write(const uint8_t *data, size_t len) override {
        while (len > 0 && !closed_) {
            wait_ready(fd_, POLLOUT, cancel_);
            ssize_t n = ::write(fd_, data, len);
            if (n < 0) {
                if (errno == EINTR || errno == EAGAIN)
                    continue;
                if (errno == EPIPE) { // reader gone: its exit status tells why
                    closed_ = true;
                    return;
                }
                throw_errno("could not write to a program's input");
            }
            data += n;
            len -= static_cast<size_t>(n);
        }
    }

  private:
    int fd_;
    const CancelPoll &cancel_;
    bool closed_ = false;
};

} // namespace

namespace {

// A child joined to us by one pipe, its diagnostics in a temporary log.
// Members are destroyed child first: an error path kills and reaps it
// before its descriptors close.
struct PipedChild {
    FdGuard log, rd, wr;
    ChildGuard child;

    // to_child: the child reads the pipe as stdin and logs stdout and stderr;
    // otherwise it writes the pipe as stdout and logs stderr.
    PipedChild(const std::vector<std::string> &args, bool to_child) {
        log.fd = temp_log_fd();
        int fds[2];
        make_pipe(fds);
        rd.fd = fds[0];
        wr.fd = fds[1];
        child.name = args.empty() ? "" : args[0];
        if (to_child) {
            child.pid = spawn_program(args, rd.fd, log.fd, log.fd);
            rd.reset();
        } else {
            child.pid = spawn_program(args, -1, wr.fd, log.fd);
            wr.reset();
        }
    }

    PipeResult result(const CancelPoll &cancel) {
        PipeResult r;
        r.exit_code = child.wait(cancel);
        r.diagnostics = read_tail(log.fd);
        return r;
    }
};

} // namespace

PipeResult run_program_to_sink(const std::vector<std::string> &args, Sink &out,
                               const CancelPoll &cancel) {
    PipedChild p(args, false);
    std::vector<uint8_t> buf(256 * 1024);
    for (;;) {
        wait_ready(p.rd.fd, POLLIN, cancel);
        ssize_t n = ::read(p.rd.fd, buf.data(), buf.size());
        if (n == 0)
            break;
        if (n < 0) {
            if (errno == EINTR)
                continue;
            throw_errno("could not read the output of \"" + p.child.name + "\"");
        }
        out.write(buf.data(), static_cast<size_t>(n));
    }
    return p.result(cancel);
}

PipeResult run_program_from_source(const std::vector<std::string> &args,
                                   const std::function<void(Sink &)> &produce,
                                   const CancelPoll &cancel) {
    PipedChild p(args, true);
    // EPIPE instead of SIGPIPE if the child exits early (a backend ignores it too).
    struct sigaction ign = {}, old = {};
    ign.sa_handler = SIG_IGN;
    ::sigaction(SIGPIPE, &ign, &old);
    try {
        PipeWriter w(p.wr.fd, cancel);
        produce(w);
    } catch (...) {
        ::sigaction(SIGPIPE, &old, nullptr);
        throw;
    }
    ::sigaction(SIGPIPE, &old, nullptr);
    p.wr.reset(); // end of input
    return p.result(cancel);
}

} // namespace safekeep
