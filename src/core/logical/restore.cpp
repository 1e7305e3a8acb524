#include "logical/restore.h"

#include "io/sha256.h"
#include "io/zstd_filter.h"
#include "repo/logical_list.h"
#include "repo/layout.h"
#include "repo/manifest_scan.h"
#include "os/files.h"
#include "util/error.h"
#include "io/pipe_program.h"

#include <fcntl.h>
#include <nlohmann/json.hpp>

namespace safekeep {

namespace {

class NullSink : public Sink {
  public:
    void write(const uint8_t *, size_t) override {}
};

// Where a logical backup lives: its storage and directory key.
struct LogicalPlace {
    RepoLayout layout;
    std::string dir;
};

LogicalPlace label_dir(const Config &cfg, const std::string &label) {
    if (!is_logical_label(label))
        throw NotFound("\"" + label + "\" is not a logical backup label");
    RepoLayout layout = RepoLayout::for_read(cfg, true);
    if (layout.stanza().empty())
        throw NotFound("the repository holds no backups");
    std::string dir = key_join(layout.logical_key(), label);
    return {std::move(layout), std::move(dir)};
}

// Checks cancellation between the pieces storage hands over.
class CancelPollSink : public Sink {
  public:
    CancelPollSink(Sink &next, const CancelPoll &cancel) : next_(next), cancel_(cancel) {}
    void write(const uint8_t *data, size_t len) override {
        next_.write(data, len);
        if (cancel_ && cancel_())
            throw Canceled();
    }

  private:
    Sink &next_;
    const CancelPoll &cancel_;
};

// Streams object through zstd -> sha256 -> out; throws naming the object
// when it does not decode or its sha256 differs from the manifest's.
void stream_object(Storage &store, const std::string &key, const std::string &want_sha, Sink &out,
                   const CancelPoll &cancel) {
    const std::string object = store.url(key);
    Sha256 sha;
    Sha256Filter hashing(sha, out);
    ZstdDecompressor zstd;
    zstd.reset(hashing);
    CancelPollSink polled(zstd, cancel);
    try {
        store.read_to(key, polled);
        zstd.finish();
    } catch (const Canceled &) {
        throw;
    } catch (const std::exception &e) {
        throw CorruptData("logical backup object \"" + object + "\" is corrupt: " + e.what());
    }
    std::string got = sha.final_hex();
    if (got != want_sha)
        throw CorruptData("logical backup object \"" + object + "\" is corrupt: sha256 " + got +
                          " does not match the manifest's " + want_sha);
}

} // namespace

std::string logical_manifest_json(const Config &cfg, const std::string &label) {
    LogicalPlace place = label_dir(cfg, label);
    try {
        return place.layout.store().read(key_join(place.dir, kManifestName));
    } catch (const NotFound &) {
        throw NotFound("logical backup \"" + label + "\" is not in the repository");
    }
}

std::string logical_restore(const Config &cfg, const LogicalRestoreRequest &req) {
    LogicalPlace place = label_dir(cfg, req.label);
    Storage &store = place.layout.store();
    const std::string manifest_key = key_join(place.dir, kManifestName);
    const LogicalManifest m =
        parse_logical_manifest(logical_manifest_json(cfg, req.label), store.url(manifest_key));
    if (m.sha256.empty())
        throw CorruptData("logical backup manifest \"" + store.url(manifest_key) +
                          "\" has no sha256");
    const std::string object = key_join(place.dir, m.object);
    const std::string &want = m.sha256;

    // First pass: nothing reaches the target unless the whole object is sound.
    NullSink null;
    stream_object(store, object, want, null, req.cancel);

    // Owners and privileges are kept: the target is in the same cluster,
    // where the roles exist. --exit-on-error: a partial restore is a failure.
    std::vector<std::string> args = {posix::join(req.conn.bindir, "pg_restore"), "--exit-on-error"};
    for (const auto &t : req.tables) {
        size_t dot = t.find('.');
        if (dot != std::string::npos) {
            args.push_back("--schema=" + t.substr(0, dot));
            args.push_back("--table=" + t.substr(dot + 1));
        } else {
            args.push_back("--table=" + t);
        }
    }
    for (auto &a : connection_args(req.conn))
        args.push_back(a);
    PipeResult r = run_program_from_source(
        args, [&](Sink &in) { stream_object(store, object, want, in, req.cancel); }, req.cancel);
    if (r.exit_code != 0)
        throw Error("pg_restore of logical backup \"" + req.label + "\" failed (exit code " +
                    std::to_string(r.exit_code) + "): " + r.diagnostics);
    return r.diagnostics;
}

} // namespace safekeep
