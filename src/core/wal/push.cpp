#include "io/sha256.h"
#include "io/zstd_filter.h"
#include "repo/repo_json.h"
#include "util/repo_problems.h"
#include "os/files.h"
#include "util/error.h"
#include "os/parallel.h"
#include "wal/archive.h"
#include "wal/archive_require.h"
#include "wal/owed.h"
#include "format/wal_name.h"

#include <algorithm>
#include <set>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <fcntl.h>
#include <unistd.h>
#include <sys/stat.h>

namespace safekeep {

std::vector<std::string> find_wal_objects(const RepoLayout &repo, const std::string &wal_name) {
    std::string dir = key_join(repo.archive_key(), wal_archive_subdir(wal_name));
    std::vector<std::string> out;
    for (const auto &child : repo.store().children(dir)) {
        std::string name, sha;
        if (parse_wal_object_name(child, name, sha) && name == wal_name)
            out.push_back(key_join(dir, child));
    }
    std::sort(out.begin(), out.end());
    return out;
}

bool store_wal_object(const RepoLayout &repo, const std::string &wal_name, const std::string &sha,
                      const void *packed, size_t packed_len) {
    std::vector<std::string> existing = find_wal_objects(repo, wal_name);
    for (const auto &object : existing) {
        std::string name, have;
        parse_wal_object_name(key_basename(object), name, have);
        if (have == sha)
            return false;
    }
    if (!existing.empty()) {
        std::string name, have;
        parse_wal_object_name(key_basename(existing.front()), name, have);
        throw Error("WAL file " + wal_name + " already archived with different content (sha256 " +
                    have + " in repository \"" + repo.where() + "\", " + sha +
                    " offered); refusing to overwrite");
    }
    std::string dir = key_join(repo.archive_key(), wal_archive_subdir(wal_name));
    repo.store().write(key_join(dir, wal_object_name(wal_name, sha)), packed, packed_len);
    return true;
}

PushOutcome wal_push(const Config &cfg, uint64_t system_id, int pg_version,
                     const std::string &wal_name, const std::string &wal_path) {
    if (classify_wal_name(wal_name) == WalKind::Invalid)
        throw Error("refusing to archive \"" + wal_name + "\": not a WAL file name");
    // One read, then hash and compress side by side in memory, one write: a
    // 16 MiB segment must not cost more than a few tens of milliseconds.
    posix::MappedFile data(wal_path);
    std::string sha;
    ByteBuffer packed;
    run_concurrently(
        [&] { sha = sha256_hex(data.data(), data.size()); },
        [&] { packed = zstd_compress_oneshot(data.data(), data.size(), cfg.compress_level); });

    // Durable in every required repository (safekeep.archive_require), or an
    // error: PostgreSQL then keeps the segment and retries, and the
    // repositories that have it answer AlreadyPresent next time, so one that
    // was down catches up with no gap. A repository that is not required and
    // failed is owed the file (wal/owed.h) and gets it from the catch-up pass.
    std::vector<RepoSpec> repos = cfg.effective_repos();
    if (repos.empty())
        throw Error("no repository is configured");
    const std::set<int> required = required_repos(cfg);
    bool stored = false;
    RepoProblems errors;
    std::vector<int> missed;
    for (const auto &spec : repos) {
        try {
            RepoLayout repo = RepoLayout::for_repo_write(cfg, spec, system_id);
            ensure_repo_json(repo, system_id, pg_version);
            stored =
                store_wal_object(repo, wal_name, sha, packed.data.get(), packed.size) || stored;
        } catch (const std::exception &e) {
            if (required.count(spec.number))
                errors.add(spec.number, e.what());
            else
                missed.push_back(spec.number);
        }
    }
    if (!errors.empty())
        throw Error("WAL file " + wal_name +
                    " is not archived in every repository: " + errors.text());
    for (int n : missed)
        record_owed_wal(cfg.state_dir, n, wal_name);
    return stored ? PushOutcome::Stored : PushOutcome::AlreadyPresent;
}

} // namespace safekeep
