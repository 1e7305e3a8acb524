#include "io/sha256.h"
#include "io/zstd_filter.h"
#include "repo/repo_json.h"
#include "storage/posix.h"
#include "util/error.h"
#include "util/parallel.h"
#include "wal/archive.h"
#include "wal/wal_name.h"

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <fcntl.h>
#include <unistd.h>
#include <sys/stat.h>

namespace safekeep {

std::string find_wal_object(const RepoLayout &repo, const std::string &wal_name) {
    std::string dir = posix::join(repo.archive_root(), wal_archive_subdir(wal_name));
    std::string best;
    for (const auto &e : posix::list_dir_if_exists(dir)) {
        std::string name, sha;
        if (parse_wal_object_name(e.name, name, sha) && name == wal_name &&
            (best.empty() || e.name < best))
            best = e.name;
    }
    return best.empty() ? best : posix::join(dir, best);
}

namespace {

// An archiver that died mid-write (its push-ahead threads included) leaves
// "<object>.tmp.<pid>.<random>" behind. Remove those of processes that no
// longer exist; never touch a live process's.
void remove_stale_temp_files(const std::string &dir, const std::string &wal_name) {
    const std::string prefix = wal_name + "-";
    for (const auto &e : posix::list_dir_if_exists(dir)) {
        if (e.name.compare(0, prefix.size(), prefix) != 0)
            continue;
        size_t at = e.name.find(".tmp.");
        if (at == std::string::npos)
            continue;
        int pid = std::atoi(e.name.c_str() + at + 5);
        if (pid <= 0 || pid == ::getpid() || ::kill(pid, 0) == 0 || errno != ESRCH)
            continue;
        ::unlink(posix::join(dir, e.name).c_str());
    }
}

} // namespace

PushOutcome wal_push(const Config &cfg, uint64_t system_id, int pg_version,
                     const std::string &wal_name, const std::string &wal_path) {
    if (classify_wal_name(wal_name) == WalKind::Invalid)
        throw Error("refusing to archive \"" + wal_name + "\": not a WAL file name");
    RepoLayout repo = RepoLayout::for_write(cfg, system_id);
    ensure_repo_json(repo, system_id, pg_version);

    // One read, then hash and compress side by side in memory, one write: a
    // 16 MiB segment must not cost more than a few tens of milliseconds.
    posix::MappedFile data(wal_path);
    std::string sha;
    ByteBuffer packed;
    run_concurrently(
        [&] { sha = sha256_hex(data.data(), data.size()); },
        [&] { packed = zstd_compress_oneshot(data.data(), data.size(), cfg.compress_level); });

    std::string existing = find_wal_object(repo, wal_name);
    if (!existing.empty()) {
        std::string name, have;
        parse_wal_object_name(posix::basename(existing), name, have);
        if (have == sha)
            return PushOutcome::AlreadyPresent;
        throw Error("WAL file " + wal_name + " already archived with different content (sha256 " +
                    have + " in repository, " + sha + " offered); refusing to overwrite");
    }

    std::string dir = posix::join(repo.archive_root(), wal_archive_subdir(wal_name));
    posix::make_dirs(dir, 0750);
    remove_stale_temp_files(dir, wal_name);
    posix::write_file_atomic(posix::join(dir, wal_object_name(wal_name, sha)), packed.data.get(),
                             packed.size);
    return PushOutcome::Stored;
}

} // namespace safekeep
