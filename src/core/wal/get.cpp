#include "io/sha256.h"
#include "io/zstd_filter.h"
#include "util/repo_problems.h"
#include "os/files.h"
#include "util/error.h"
#include "wal/archive.h"
#include "format/segment_check.h"
#include "format/wal_name.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>

namespace safekeep {

namespace {

// Keeps a segment's first page header and counts its bytes on the way through.
class HeaderSink : public Sink {
  public:
    explicit HeaderSink(Sink &next) : next_(next) {}
    void write(const uint8_t *data, size_t len) override {
        size_t take = std::min(len, kWalHeaderBytes - std::min(kWalHeaderBytes, size_));
        std::memcpy(header_ + std::min(kWalHeaderBytes, size_), data, take);
        size_ += len;
        next_.write(data, len);
    }
    const uint8_t *header() const { return header_; }
    size_t size() const { return size_; }

  private:
    Sink &next_;
    uint8_t header_[kWalHeaderBytes] = {};
    size_t size_ = 0;
};

// Decompresses object into out and checks the sha256 its name records and,
// for a segment, that it is the segment its name says (recovery would stop
// at a misnamed one as if the archive ended there).
void unpack_checked(const RepoLayout &repo, const std::string &object, Sink &out) {
    std::string name, want;
    parse_wal_object_name(key_basename(object), name, want);

    std::string packed = repo.store().read(object);
    HeaderSink header(out);
    Sha256 hash;
    Sha256Filter hasher(hash, header);
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
    if (classify_wal_name(name) != WalKind::Segment)
        return;
    WalExpectation expect;
    // The default stanza is the system identifier; a named one says nothing.
    const std::string &stanza = repo.stanza();
    if (!stanza.empty() && stanza.find_first_not_of("0123456789") == std::string::npos)
        expect.system_id = std::strtoull(stanza.c_str(), nullptr, 10);
    std::string bad = wal_segment_problem(name, header.header(), header.size(), expect);
    if (!bad.empty())
        throw Error("archived WAL object \"" + repo.store().url(object) + "\" " + bad);
}

void get_object(const RepoLayout &repo, const std::string &object, const std::string &dest_path) {
    posix::AtomicFile out(dest_path, 0600);
    FdSink file(out.fd(), out.temp_path());
    unpack_checked(repo, object, file);
    // Recovery re-fetches on a crash, so no fsync needed for pg_wal/RECOVERYXLOG.
    out.commit(false);
}

class DiscardSink : public Sink {
  public:
    void write(const uint8_t *, size_t) override {}
};

// Serves the one copy whose content is the sha256 its name records. A copy
// that does not check out is skipped; two that both do (different content
// for one WAL file) is an error, since replaying the wrong one corrupts.
void get_checked_copy(const RepoLayout &repo, const std::string &wal_name,
                      const std::vector<std::string> &objects, const std::string &dest_path) {
    if (objects.size() == 1)
        return get_object(repo, objects.front(), dest_path);
    std::string good, rejected;
    for (const auto &object : objects) {
        DiscardSink nothing;
        try {
            unpack_checked(repo, object, nothing);
        } catch (const NotFound &) {
            throw;
        } catch (const Error &e) {
            rejected += std::string(rejected.empty() ? "" : "; ") + e.what();
            continue;
        }
        if (!good.empty())
            throw Error("WAL file " + wal_name +
                        " is archived twice with different content, as \"" +
                        repo.store().url(good) + "\" and \"" + repo.store().url(object) +
                        "\"; refusing to guess which one to replay");
        good = object;
    }
    if (good.empty())
        throw Error(rejected);
    get_object(repo, good, dest_path);
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
            std::vector<std::string> objects = find_wal_objects(repo, wal_name);
            if (objects.empty()) {
                problems.add("not in repository \"" + repo.where() + "\"");
                continue;
            }
            get_checked_copy(repo, wal_name, objects, dest_path);
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
