#include "backup/copy.h"

#include "io/sha256.h"
#include "io/zstd_filter.h"
#include "storage/posix.h"
#include "util/error.h"

#include <algorithm>
#include <fcntl.h>
#include <memory>
#include <numeric>
#include <optional>

namespace safekeep {

namespace {

constexpr size_t kBufferSize = 1 << 20;
constexpr uint64_t kCancelCheckBytes = 64ULL << 20;
constexpr uint64_t kFrameBytes = 64ULL << 20;
// zstd threads one file may borrow; each holds ~20 MB of job buffers at level 3.
constexpr int kMaxHelpers = 3;

// Per-thread state, reused for every file the thread copies.
struct Worker {
    explicit Worker(int level) : zstd(level), buffer(kBufferSize) {}
    Sha256 sha;
    ZstdCompressor zstd;
    std::vector<uint8_t> buffer;
};

std::string object_rel(const std::string &rel) {
    return "data/" + rel + ".zst";
}

// Returns nullopt if the source vanished before we opened it.
std::optional<ManifestFile> copy_one(const SourceFile &src, const std::string &backup_dir,
                                     Worker &w, ParallelState &state) {
    posix::Fd in = posix::open_if_exists(src.abs, O_RDONLY);
    if (!in.valid())
        return std::nullopt;
    ::posix_fadvise(in.get(), 0, 0, POSIX_FADV_SEQUENTIAL);

    ManifestFile mf;
    mf.path = src.rel;
    mf.mode = src.mode;
    mf.mtime = src.mtime;
    mf.object = object_rel(src.rel);
    std::string dest = posix::join(backup_dir, mf.object);
    posix::Fd out = posix::open_file(dest, O_WRONLY | O_CREAT | O_TRUNC, 0640);
    FdSink sink(out.get(), dest);

    w.sha.reset();
    w.zstd.reset(sink);
    // Big files are cut into frames; each frame may borrow idle threads, so the
    // last big file of a backup does not run on one core alone.
    const bool big = src.size >= 2 * kFrameBytes;
    int helpers = 0;
    uint64_t total = 0, since_check = 0, in_frame = 0;
    try {
        for (;;) {
            size_t n = posix::read_full(in.get(), w.buffer.data(), w.buffer.size(), src.abs);
            w.sha.update(w.buffer.data(), n);
            total += n;
            state.bytes_done.fetch_add(n, std::memory_order_relaxed);
            if (n < w.buffer.size()) {
                // EOF. A file that changed size meanwhile is fine: we record what
                // we read and WAL replay repairs the rest.
                w.zstd.write_last(w.buffer.data(), n);
                break;
            }
            w.zstd.write(w.buffer.data(), n);
            since_check += n;
            in_frame += n;
            if (since_check >= kCancelCheckBytes) {
                since_check = 0;
                state.check();
            }
            if (big && in_frame >= kFrameBytes) {
                in_frame = 0;
                state.give_idle(helpers);
                helpers = state.take_idle(kMaxHelpers);
                w.zstd.new_frame(helpers);
            }
        }
    } catch (...) {
        state.give_idle(helpers);
        throw;
    }
    state.give_idle(helpers);
    out.close(dest);
    mf.size = total;
    mf.sha256 = w.sha.final_hex();
    mf.stored_size = sink.bytes();
    return mf;
}

} // namespace

std::vector<ManifestFile> copy_files(const std::vector<SourceFile> &files,
                                     const std::string &backup_dir, int level, int parallel,
                                     const CancelPoll &cancel, const ProgressFn &progress,
                                     CopyStats &stats) {
    // Largest first so one big file does not run alone at the end.
    std::vector<size_t> order(files.size());
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(),
                     [&](size_t a, size_t b) { return files[a].size > files[b].size; });

    ProgressReport report;
    report.files_total = files.size();
    for (const auto &f : files)
        report.bytes_total += f.size;

    int threads = std::max(1, parallel);
    std::vector<std::unique_ptr<Worker>> workers;
    for (int i = 0; i < threads && static_cast<size_t>(i) < std::max<size_t>(files.size(), 1); i++)
        workers.push_back(std::make_unique<Worker>(level));

    std::vector<std::optional<ManifestFile>> results(files.size());
    run_parallel(
        files.size(), threads,
        [&](size_t i, int w, ParallelState &state) {
            size_t idx = order[i];
            results[idx] = copy_one(files[idx], backup_dir, *workers[w], state);
            state.files_done.fetch_add(1, std::memory_order_relaxed);
        },
        cancel,
        [&](const ParallelState &state) {
            if (!progress)
                return;
            report.files_done = state.files_done.load(std::memory_order_relaxed);
            report.bytes_done = state.bytes_done.load(std::memory_order_relaxed);
            progress(report);
        });

    std::vector<ManifestFile> out;
    out.reserve(files.size());
    for (auto &r : results)
        if (r) {
            stats.original_bytes += r->size;
            stats.stored_bytes += r->stored_size;
            out.push_back(std::move(*r));
        }
    std::sort(out.begin(), out.end(),
              [](const ManifestFile &a, const ManifestFile &b) { return a.path < b.path; });
    return out;
}

ManifestFile store_small_file(const std::string &backup_dir, const std::string &rel,
                              const std::string &content, uint32_t mode, int64_t mtime, int level) {
    ManifestFile mf;
    mf.path = rel;
    mf.size = content.size();
    mf.mode = mode;
    mf.mtime = mtime;
    mf.sha256 = sha256_hex(content.data(), content.size());
    mf.object = object_rel(rel);
    std::vector<uint8_t> packed = zstd_compress(content.data(), content.size(), level);
    mf.stored_size = packed.size();
    posix::write_file_atomic(posix::join(backup_dir, mf.object), packed.data(), packed.size());
    return mf;
}

} // namespace safekeep
