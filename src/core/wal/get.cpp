#include "io/sha256.h"
#include "io/zstd_filter.h"
#include "repo/repo_problems.h"
#include "storage/posix.h"
#include "util/error.h"
#include "wal/archive.h"
#include "wal/wal_name.h"

#include <algorithm>
#include <fcntl.h>

namespace safekeep {

namespace {

void get_object(const RepoLayout &repo, const std::string &object, const std::string &dest_path) {
    std::string name, want;
    parse_wal_object_name(key_basename(object), name, want);

    std::string packed = repo.store().read(object);
    posix::AtomicFile out(dest_path, 0600);
    FdSink file(out.fd(), out.temp_path());
    Sha256 hash;
    Sha256Filter hasher(hash, file);
    ZstdDecompressor dec;
    dec.reset(hasher);
    try {
        dec.write(reinterpret_cast<const uint8_t *>(packed.data()), packed.size());
        dec.finish();
    } catch (const CorruptData &e) {
        throw Error("archived WAL object \"" + repo.store().url(object) +
                    "\" is corrupt: " + e.what());
    }
    std::string got = hash.final_hex();
    if (got != want)
        throw Error("archived WAL object \"" + repo.store().url(object) + "\" is corrupt: sha256 " +
                    got + " does not match " + want);
    // Recovery re-fetches on a crash, so no fsync needed for pg_wal/RECOVERYXLOG.
    out.commit(false);
}

} // namespace

void wal_get(const Config &cfg, const std::string &wal_name, const std::string &dest_path) {
    if (classify_wal_name(wal_name) == WalKind::Invalid)
        throw Error("\"" + wal_name + "\" is not a WAL file name");
    // The chosen repository first, then the others: a restore reads on when
    // one repository lacks a segment or cannot be reached.
    std::vector<RepoSpec> order = cfg.effective_repos();
    std::stable_partition(order.begin(), order.end(),
                          [&](const RepoSpec &r) { return r.number == cfg.read_repo; });
    RepoProblems problems;
    bool failed = false; // a repository was unreachable or its copy corrupt
    for (const auto &spec : order) {
        try {
            RepoLayout repo = RepoLayout::for_repo_read(cfg, spec);
            std::string object = find_wal_object(repo, wal_name);
            if (object.empty()) {
                problems.add("not in repository \"" + repo.where() + "\"");
                continue;
            }
            get_object(repo, object, dest_path);
            return;
        } catch (const NotFound &e) {
            problems.add(e.what());
        } catch (const Error &e) {
            failed = true;
            problems.add(spec.number, e.what());
        }
    }
    // Cleanly absent everywhere is the end of the archive; anything else must
    // not look like it, or recovery would stop early.
    if (failed)
        throw Error("WAL file " + wal_name + ": " + problems.text());
    throw NotFound("WAL file " + wal_name + " " +
                   (problems.empty() ? "not found" : problems.text()));
}

} // namespace safekeep
