#include "backup/file_list.h"

#include "backup/exclude.h"
#include "os/files.h"
#include "util/error.h"

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdlib>
#include <sys/stat.h>
#include <unistd.h>

namespace safekeep {

namespace {

class Lister {
  public:
    explicit Lister(SourceListing &out) : out_(out) {}

    // abs_dir is read; rel_dir is its path in the backup ("" for pgdata).
    void walk(const std::string &abs_dir, const std::string &rel_dir) {
        std::vector<posix::DirEntry> entries;
        try {
            entries = posix::list_dir(abs_dir);
        } catch (const Error &) {
            // A database dropped while we list it: WAL replay removes it anyway.
            if (!rel_dir.empty() && !posix::exists(abs_dir))
                return;
            throw;
        }
        std::sort(
            entries.begin(), entries.end(),
            [](const posix::DirEntry &a, const posix::DirEntry &b) { return a.name < b.name; });

        std::set<std::string> unlogged;
        if (is_database_dir(rel_dir))
            for (const auto &e : entries) {
                std::string relnode, fork;
                if (parse_relation_file_name(e.name, relnode, fork) && fork == "init")
                    unlogged.insert(relnode);
            }

        for (const auto &e : entries) {
            std::string abs = posix::join(abs_dir, e.name);
            std::string rel = rel_dir.empty() ? e.name : rel_dir + "/" + e.name;
            struct stat st;
            if (::lstat(abs.c_str(), &st) != 0) {
                if (errno == ENOENT)
                    continue; // vanished
                throw_errno("could not stat \"" + abs + "\"");
            }
            if (S_ISLNK(st.st_mode)) {
                if (rel_dir == "pg_tblspc") {
                    tablespace(abs, rel, e.name);
                    continue;
                }
                // Other links (pg_wal on another disk, a linked config file):
                // back up what they point to.
                if (::stat(abs.c_str(), &st) != 0) {
                    if (errno == ENOENT)
                        continue;
                    throw_errno("could not stat \"" + abs + "\"");
                }
            }
            if (S_ISDIR(st.st_mode)) {
                Exclusion x = classify_path(rel, true);
                if (x == Exclusion::Skip)
                    continue;
                out_.directories.push_back({rel, static_cast<uint32_t>(st.st_mode & 07777)});
                if (x == Exclusion::Keep)
                    walk(abs, rel);
            } else if (S_ISREG(st.st_mode)) {
                if (classify_path(rel, false, unlogged) != Exclusion::Keep)
                    continue;
                out_.files.push_back({rel, abs, static_cast<uint64_t>(st.st_size),
                                      static_cast<uint32_t>(st.st_mode & 07777),
                                      static_cast<int64_t>(st.st_mtime)});
            }
            // sockets, fifos, devices: not data
        }
    }

  private:
    void tablespace(const std::string &link, const std::string &rel, const std::string &oid) {
        char buf[PATH_MAX];
        ssize_t n = ::readlink(link.c_str(), buf, sizeof buf - 1);
        if (n < 0)
            throw_errno("could not read symbolic link \"" + link + "\"");
        buf[n] = '\0';
        std::string target(buf);
        if (target.empty() || target[0] != '/') {
            char real[PATH_MAX];
            if (!::realpath(link.c_str(), real))
                throw_errno("could not resolve tablespace link \"" + link + "\"");
            target = real;
        }
        struct stat st;
        if (::stat(link.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
            throw Error("tablespace link \"" + link + "\" does not point to a directory (\"" +
                        target + "\")");
        out_.tablespaces.push_back({oid, target});
        out_.directories.push_back({rel, static_cast<uint32_t>(st.st_mode & 07777)});
        walk(link, rel);
    }

    SourceListing &out_;
};

} // namespace

SourceListing list_data_directory(const std::string &pgdata) {
    SourceListing out;
    if (!posix::is_dir(pgdata))
        throw Error("data directory \"" + pgdata + "\" does not exist");
    Lister(out).walk(pgdata, "");
    return out;
}

} // namespace safekeep
