#include "scratch/cleanup.h"

#include "scratch/scratch_conf.h"
#include "os/files.h"
#include "util/error.h"
#include "restore/server.h"
#include "os/stop.h"

#include <cerrno>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

namespace safekeep {

namespace {

// Runs step, remembering the first error instead of stopping.
template <typename F> void attempt(std::string &first_error, F &&step) {
    try {
        step();
    } catch (const std::exception &e) {
        if (first_error.empty())
            first_error = e.what();
    }
}

std::string read_if_exists(const std::string &path) {
    return posix::exists(path) ? posix::read_file(path) : "";
}

// The socket directory a leftover instance used: from the file written at
// creation, else from postgresql.auto.conf. Only a directory of ours that
// mkdtemp("/tmp/sk-XXXXXX") could have made qualifies.
std::string leftover_socket_dir(const std::string &dir) {
    std::string s = read_if_exists(posix::join(dir, "socket_dir"));
    while (!s.empty() && (s.back() == '\n' || s.back() == ' '))
        s.pop_back();
    if (s.empty())
        s = socket_dir_from_conf(read_if_exists(posix::join(dir, "pgdata/postgresql.auto.conf")));
    struct stat st;
    if (!is_scratch_socket_dir(s) || ::lstat(s.c_str(), &st) != 0 || !S_ISDIR(st.st_mode) ||
        st.st_uid != ::geteuid())
        return "";
    return s;
}

// True when a live process holds dir's in-use lock. A directory without the
// file (made before the lock existed, or cut short before it was created) is
// not in use.
bool scratch_dir_in_use(const std::string &dir) {
    int fd = ::open(posix::join(dir, kScratchLockFile).c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0)
        return false;
    bool busy = ::flock(fd, LOCK_EX | LOCK_NB) != 0 && errno == EWOULDBLOCK;
    ::close(fd); // drops our lock, if we got it
    return busy;
}

} // namespace

int lock_scratch_dir(const std::string &dir) {
    std::string path = posix::join(dir, kScratchLockFile);
    int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0)
        throw_errno("could not create \"" + path + "\"");
    if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
        int err = errno;
        ::close(fd);
        throw_errno("could not lock \"" + path + "\"", err);
    }
    return fd;
}

void remove_scratch_dir(const std::string &dir, const std::string &socket_dir,
                        const std::string &bindir, int timeout_seconds) {
    StopShield shield; // pg_ctl stop must not be cut short by the stop it follows
    std::string first_error;
    std::string pgdata = posix::join(dir, "pgdata");
    // If the stop fails the directory goes anyway: a postmaster whose lock
    // file vanished shuts itself down within a minute.
    if (posix::exists(posix::join(pgdata, "postmaster.pid")))
        attempt(first_error, [&] { stop_server_immediate(bindir, pgdata, timeout_seconds); });
    if (!socket_dir.empty())
        attempt(first_error, [&] { posix::remove_tree(socket_dir); });
    attempt(first_error, [&] { posix::remove_tree(dir); });
    if (!first_error.empty())
        throw Error("could not fully remove scratch instance \"" + dir + "\": " + first_error);
}

int cleanup_scratch(const std::string &scratch_root, const std::string &bindir) {
    if (scratch_root.empty() || scratch_root[0] != '/')
        throw Error("scratch root \"" + scratch_root + "\" is not an absolute path");
    std::string first_error;
    int failed = 0, removed = 0;
    for (const auto &e : posix::list_dir_if_exists(scratch_root)) {
        std::string sub = posix::join(scratch_root, e.name);
        struct stat st;
        // Never follow a link out of the scratch root.
        if (::lstat(sub.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
            continue;
        if (scratch_dir_in_use(sub))
            continue;
        std::string err;
        attempt(err, [&] { remove_scratch_dir(sub, leftover_socket_dir(sub), bindir, 60); });
        if (err.empty()) {
            removed++;
        } else {
            failed++;
            if (first_error.empty())
                first_error = err;
        }
    }
    if (failed > 0)
        throw Error(first_error + (failed > 1 ? " (and " + std::to_string(failed - 1) +
                                                    " more scratch instance(s) not removed)"
                                              : ""));
    return removed;
}

} // namespace safekeep
