#include "os/checks.h"

#include "os/files.h"
#include "util/error.h"
#include "util/text.h"
#include "util/user_names.h"

#include <arpa/inet.h>
#include <cerrno>
#include <climits>
#include <cstdlib>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

namespace safekeep {

bool path_within(const std::string &path, const std::string &base) {
    if (base == "/")
        return true;
    return path == base || (path.size() > base.size() && path.compare(0, base.size(), base) == 0 &&
                            path[base.size()] == '/');
}

static std::string real_path(const std::string &p) {
    char buf[PATH_MAX];
    if (!::realpath(p.c_str(), buf))
        throw_errno("could not resolve \"" + p + "\"");
    return buf;
}

// Canonical form of a path that may not exist yet: realpath of the nearest
// existing ancestor plus the remaining components.
static std::string canonical_future_path(const std::string &p) {
    std::string existing = p, rest;
    while (!posix::exists(existing)) {
        std::string parent = posix::dirname(existing);
        std::string base = posix::basename(existing);
        if (base == "." || base == "..")
            throw Error("path \"" + p + "\" must not contain . or .. components");
        rest = rest.empty() ? base : base + "/" + rest;
        if (parent == existing)
            break;
        existing = parent;
    }
    std::string real = real_path(existing);
    return rest.empty() ? real : posix::join(real, rest);
}

void check_outside_data_directories(const std::string &dir) {
    if (dir.empty() || dir[0] != '/')
        throw Error("directory \"" + dir + "\" is not an absolute path");
    for (std::string d = canonical_future_path(dir);; d = posix::dirname(d)) {
        for (const char *marker : {"PG_VERSION", "postmaster.pid"})
            if (posix::exists(posix::join(d, marker)))
                throw Error("\"" + dir + "\" is inside the data directory \"" + d +
                            "\" of a PostgreSQL cluster (it holds " + marker +
                            "); choose a directory outside every data directory");
        if (d == "/")
            return;
    }
}

void check_owned_by_us(const std::string &dir) {
    struct stat st;
    if (::stat(dir.c_str(), &st) != 0)
        return; // created by us, so ours
    if (st.st_uid != ::geteuid())
        throw Error("\"" + dir + "\" is owned by uid " + std::to_string(st.st_uid) +
                    (st.st_uid == 0 ? " (root)" : "") +
                    ", not by the user running the restore (uid " + std::to_string(::geteuid()) +
                    "): PostgreSQL refuses a data directory it does "
                    "not own");
}

void check_target_dir(const std::string &dir, const std::string &live_pgdata) {
    if (std::string c = first_control_char(dir); !c.empty())
        throw Error("invalid target directory: it contains a control character (" + c + ")");
    // Far below PATH_MAX: PostgreSQL builds longer paths inside it.
    if (dir.size() > 1024)
        throw Error("invalid target directory: it is " + std::to_string(dir.size()) +
                    " bytes long (at most 1024)");
    if (dir.empty() || dir[0] != '/')
        throw Error("target directory " + shown_value(dir) + " is not an absolute path");
    std::string target = canonical_future_path(dir);
    if (!live_pgdata.empty()) {
        std::string live = real_path(live_pgdata);
        if (path_within(target, live))
            throw Error("target directory \"" + dir + "\" is inside the live data directory \"" +
                        live_pgdata + "\"");
        if (path_within(live, target))
            throw Error("target directory \"" + dir + "\" contains the live data directory \"" +
                        live_pgdata + "\"");
    }
    check_outside_data_directories(dir);
    struct stat st;
    if (::stat(dir.c_str(), &st) == 0) {
        if (!S_ISDIR(st.st_mode))
            throw Error("target directory \"" + dir + "\" exists and is not a directory");
        if (!posix::is_empty_dir(dir))
            throw Error("target directory \"" + dir + "\" is not empty");
    } else if (errno != ENOENT) {
        throw_errno("could not stat target directory \"" + dir + "\"");
    }
    std::string parent = posix::dirname(dir);
    if (!posix::is_dir(parent))
        throw Error("parent directory \"" + parent + "\" of target \"" + dir + "\" does not exist");
    if (::access(parent.c_str(), W_OK | X_OK) != 0)
        throw Error("parent directory \"" + parent + "\" of target \"" + dir +
                    "\" is not writable");
}

namespace {

// Returns false if the address family is unavailable on this host.
bool try_bind(int family, int port) {
    int fd = ::socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        if (errno == EAFNOSUPPORT)
            return false;
        throw_errno("could not create socket to test port " + std::to_string(port));
    }
    int rc;
    if (family == AF_INET) {
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_port = htons(static_cast<uint16_t>(port));
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        rc = ::bind(fd, reinterpret_cast<sockaddr *>(&a), sizeof a);
    } else {
        int on = 1;
        ::setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof on);
        sockaddr_in6 a{};
        a.sin6_family = AF_INET6;
        a.sin6_port = htons(static_cast<uint16_t>(port));
        a.sin6_addr = in6addr_loopback;
        rc = ::bind(fd, reinterpret_cast<sockaddr *>(&a), sizeof a);
    }
    int err = errno;
    ::close(fd);
    if (rc == 0)
        return true;
    if (err == EADDRINUSE)
        throw Error("port " + std::to_string(port) + " is in use");
    if (err == EADDRNOTAVAIL || err == EAFNOSUPPORT)
        return false; // no such loopback address here
    throw_errno("could not test port " + std::to_string(port), err);
}

} // namespace

void check_port_free(int port) {
    if (port < 1 || port > 65535)
        throw Error("port " + std::to_string(port) + " is out of range (1..65535)");
    try_bind(AF_INET, port);
    try_bind(AF_INET6, port);
}

} // namespace safekeep
