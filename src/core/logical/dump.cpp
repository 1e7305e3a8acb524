#include "logical/dump.h"

#include "io/sha256.h"
#include "io/zstd_filter.h"
#include "logical/schema_hash.h"
#include "repo/label.h"
#include "repo/layout.h"
#include "repo/manifest_scan.h"
#include "os/files.h"
#include "util/error.h"
#include "io/pipe_program.h"
#include "os/process.h"

#include <algorithm>
#include <cerrno>
#include <ctime>
#include <sys/stat.h>

namespace safekeep {

namespace {

class CountingSink : public Sink {
  public:
    explicit CountingSink(Sink &next) : next_(next) {}
    void write(const uint8_t *d, size_t n) override {
        bytes += n;
        next_.write(d, n);
    }
    void finish() override { next_.finish(); }
    uint64_t bytes = 0;

  private:
    Sink &next_;
};

// Labels YYYYMMDD-HHMMSSL: the first free second at or after now.
std::string allocate_logical_label(Storage &store, const std::string &root, int64_t now) {
    for (int64_t t = now;; t++) {
        std::string label = format_full_label(t);
        label.back() = 'L';
        if (store.claim(key_join(root, label)))
            return label;
    }
}

std::string pg_dump_version(const std::string &bindir) {
    RunOptions o;
    o.capture = true;
    o.timeout_seconds = 60;
    RunResult r = run_program({posix::join(bindir, "pg_dump"), "--version"}, o);
    std::string v = r.output;
    while (!v.empty() && (v.back() == '\n' || v.back() == '\r'))
        v.pop_back();
    return v;
}

std::string fail_text(const std::string &what, const PipeResult &r) {
    return what + " failed (exit code " + std::to_string(r.exit_code) + "): " + r.diagnostics;
}

} // namespace

LogicalDumpResult logical_dump(const Config &cfg, const LogicalDumpRequest &req) {
    RepoLayout layout = RepoLayout::for_write(cfg, req.system_id);
    Storage &store = layout.store();
    std::string root = layout.logical_key();
    int64_t start = static_cast<int64_t>(std::time(nullptr));
    std::string label = allocate_logical_label(store, root, start);
    std::string dir = key_join(root, label);
    try {
        std::string version = pg_dump_version(req.conn.bindir);
        std::string hash = schema_hash(req.conn, req.cancel);

        std::vector<std::string> args = {posix::join(req.conn.bindir, "pg_dump"), "--format=custom",
                                         "--compress=0"};
        if (req.schema_only)
            args.push_back("--schema-only");
        for (const auto &t : req.tables)
            args.push_back("--table=" + t);
        for (auto &a : connection_args(req.conn))
            args.push_back(a);

        // pg_dump stdout -> sha256 -> zstd -> object (durable before the manifest).
        std::unique_ptr<ObjectWriter> file = store.create(key_join(dir, "dump.zst"));
        ZstdCompressor zstd(cfg.compress_level);
        zstd.reset(*file);
        Sha256 sha;
        Sha256Filter hashing(sha, zstd);
        CountingSink counting(hashing);
        PipeResult r = run_program_to_sink(args, counting, req.cancel);
        if (r.exit_code != 0)
            throw Error(fail_text("pg_dump", r));
        counting.finish();
        file->commit();
        store.sync(dir);

        LogicalManifest m;
        m.label = label;
        m.database = req.conn.dbname;
        m.schema_only = req.schema_only;
        m.tables = req.table_names;
        m.dump_size = counting.bytes;
        m.stored_size = file->bytes();
        m.sha256 = sha.final_hex();
        m.schema_hash = hash;
        m.pg_dump_version = version;
        m.start_time = start;
        m.stop_time = static_cast<int64_t>(std::time(nullptr));
        std::string text = logical_manifest_text(m);
        // Written last: a logical backup without a manifest does not exist.
        store.write(key_join(dir, kManifestName), text.data(), text.size());
        return {label, std::move(m)};
    } catch (...) {
        try {
            store.remove_tree(dir);
        } catch (...) {
        }
        throw;
    }
}

} // namespace safekeep
