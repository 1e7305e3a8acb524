#include "io/sha256.h"
#include "io/zstd_filter.h"
#include "storage/posix.h"
#include "util/error.h"
#include "wal/archive.h"
#include "wal/wal_name.h"

#include <fcntl.h>

namespace safekeep {

void wal_get(const Config &cfg, const std::string &wal_name, const std::string &dest_path) {
    if (classify_wal_name(wal_name) == WalKind::Invalid)
        throw Error("\"" + wal_name + "\" is not a WAL file name");
    RepoLayout repo = RepoLayout::for_read(cfg);
    std::string object = find_wal_object(repo, wal_name);
    if (object.empty())
        throw NotFound("WAL file " + wal_name + " is not in repository \"" + repo.where() + "\"");
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

} // namespace safekeep
