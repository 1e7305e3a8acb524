#include "logical/restore.h"

#include "io/sha256.h"
#include "io/zstd_filter.h"
#include "repo/layout.h"
#include "storage/posix.h"
#include "util/error.h"
#include "util/pipe_program.h"

#include <fcntl.h>
#include <nlohmann/json.hpp>

namespace safekeep {

namespace {

class NullSink : public Sink {
  public:
    void write(const uint8_t *, size_t) override {}
};

std::string label_dir(const Config &cfg, const std::string &label) {
    if (label.size() != 16 || label.back() != 'L' || label.find_first_of("/.") != std::string::npos)
        throw NotFound("\"" + label + "\" is not a logical backup label");
    RepoLayout layout = RepoLayout::for_read(cfg, true);
    if (layout.stanza().empty())
        throw NotFound("the repository holds no backups");
    return posix::join(logical_root(layout.stanza_dir()), label);
}

// Streams object through zstd -> sha256 -> out; throws naming the object
// when it does not decode or its sha256 differs from the manifest's.
void stream_object(const std::string &object, const std::string &want_sha, Sink &out,
                   const CancelPoll &cancel) {
    posix::Fd fd = posix::open_file(object, O_RDONLY | O_CLOEXEC);
    Sha256 sha;
    Sha256Filter hashing(sha, out);
    ZstdDecompressor zstd;
    zstd.reset(hashing);
    std::vector<uint8_t> buf(256 * 1024);
    try {
        for (;;) {
            size_t n = posix::read_full(fd.get(), buf.data(), buf.size(), object);
            if (n == 0)
                break;
            zstd.write(buf.data(), n);
            if (cancel && cancel())
                throw Canceled();
        }
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
    std::string path = posix::join(label_dir(cfg, label), "manifest.json");
    if (!posix::exists(path))
        throw NotFound("logical backup \"" + label + "\" is not in the repository");
    return posix::read_file(path);
}

std::string logical_restore(const Config &cfg, const LogicalRestoreRequest &req) {
    nlohmann::json m = nlohmann::json::parse(logical_manifest_json(cfg, req.label));
    std::string object =
        posix::join(label_dir(cfg, req.label), m.value("object", std::string("dump.zst")));
    std::string want = m.at("sha256").get<std::string>();

    // First pass: nothing reaches the target unless the whole object is sound.
    NullSink null;
    stream_object(object, want, null, req.cancel);

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
        args, [&](Sink &in) { stream_object(object, want, in, req.cancel); }, req.cancel);
    if (r.exit_code != 0)
        throw Error("pg_restore of logical backup \"" + req.label + "\" failed (exit code " +
                    std::to_string(r.exit_code) + "): " + r.diagnostics);
    return r.diagnostics;
}

} // namespace safekeep
