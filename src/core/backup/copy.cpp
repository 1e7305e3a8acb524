#include "backup/copy.h"

#include "backup/exclude.h"

#include "io/sha256.h"
#include "io/zstd_filter.h"
#include "os/files.h"
#include "util/error.h"

#include <algorithm>
#include <climits>
#include <cstdint>
#include <fcntl.h>
#include <memory>
#include <numeric>
#include <optional>

namespace safekeep {

namespace {

constexpr size_t kBufferSize = 1 << 20;
constexpr uint64_t kCancelCheckBytes = 4ULL << 20; // one atomic load per 4 MiB
constexpr uint64_t kFrameBytes = 64ULL << 20;
// zstd threads one file may borrow; each holds ~20 MB of job buffers at level 3.
constexpr int kMaxHelpers = 3;

// Per-thread state, reused for every file the thread copies.
struct Worker {
    explicit Worker(int level) : zstd(level), buffer(kBufferSize) {}
    Sha256 sha;
    Sha256 object_sha; // stored pages of a block-mapped file
    ZstdCompressor zstd;
    std::vector<uint8_t> buffer;
    std::vector<BlockRun> prior_runs, runs; // reused from file to file
};

static_assert(kBufferSize % kPageSize == 0, "the copy buffer holds whole pages");

std::string object_rel(const std::string &rel) {
    return "data/" + rel + ".zst";
}

// Opened for one sequential read; invalid if the file vanished meanwhile.
posix::Fd open_source(const SourceFile &src) {
    posix::Fd in = posix::open_if_exists(src.abs, O_RDONLY);
    if (in.valid())
        ::posix_fadvise(in.get(), 0, 0, POSIX_FADV_SEQUENTIAL);
    return in;
}

ManifestFile entry_for(const SourceFile &src) {
    ManifestFile mf;
    mf.path = src.rel;
    mf.mode = src.mode;
    mf.mtime = src.mtime;
    return mf;
}

// Returns nullopt if the source vanished before we opened it.
std::optional<ManifestFile> copy_one(const SourceFile &src, Storage &store,
                                     const std::string &backup_dir, Worker &w,
                                     ParallelState &state) {
    posix::Fd in = open_source(src);
    if (!in.valid())
        return std::nullopt;
    ManifestFile mf = entry_for(src);
    mf.object = object_rel(src.rel);
    std::unique_ptr<ObjectWriter> sink = store.create(key_join(backup_dir, mf.object));

    w.sha.reset();
    w.zstd.reset(*sink);
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
    sink->commit();
    mf.size = total;
    mf.sha256 = w.sha.final_hex();
    mf.stored_size = sink->bytes();
    return mf;
}

uint32_t holder_of(const std::vector<std::string> &holders, const std::string &label) {
    for (size_t i = 0; i < holders.size(); i++)
        if (holders[i] == label)
            return static_cast<uint32_t>(i);
    throw Error("backup " + label + " is missing from the chain of the prior backup");
}

uint32_t block_count(uint64_t size) {
    uint64_t n = (size + kPageSize - 1) / kPageSize;
    if (n > UINT32_MAX)
        throw Error("file too large for a block map");
    return static_cast<uint32_t>(n);
}

// The prior entry's block map in the new manifest's holder numbering.
void prior_block_map(const ManifestFile &p, const IncrementalBase &inc,
                     std::vector<BlockRun> &out) {
    out.clear();
    if (!p.blocks.empty()) {
        for (BlockRun r : p.blocks) {
            r.holder += 1;
            out.push_back(r);
        }
        return;
    }
    uint32_t n = block_count(p.size);
    if (n == 0)
        return;
    const std::string &label = p.reference.empty() ? inc.prior->label : p.reference;
    out.push_back({0, n, 0, holder_of(*inc.holders, label)});
}

inline void append_run(std::vector<BlockRun> &runs, uint32_t block, uint32_t holder,
                       uint32_t offset) {
    if (!runs.empty()) {
        BlockRun &r = runs.back();
        if (r.holder == holder && r.start + r.count == block && r.offset + r.count == offset) {
            r.count++;
            return;
        }
    }
    runs.push_back({block, 1, offset, holder});
}

// Lazily created object of a block-mapped file.
struct PageObject {
    std::unique_ptr<ObjectWriter> sink;
};

// Relation file with a prior entry: compares page LSNs.
std::optional<ManifestFile> copy_pages(const SourceFile &src, const ManifestFile &p,
                                       const IncrementalBase &inc, Storage &store,
                                       const std::string &backup_dir, Worker &w,
                                       ParallelState &state) {
    posix::Fd in = open_source(src);
    if (!in.valid())
        return std::nullopt;
    ManifestFile mf = entry_for(src);
    prior_block_map(p, inc, w.prior_runs);
    w.runs.clear();
    // Only pages that were whole in the prior file can be unchanged.
    const uint64_t prior_full = p.size / kPageSize;
    const uint64_t threshold = inc.threshold_lsn;

    PageObject obj;
    auto open_object = [&] {
        mf.object = object_rel(src.rel);
        obj.sink = store.create(key_join(backup_dir, mf.object));
        w.zstd.reset(*obj.sink);
    };
    auto store_pages = [&](const uint8_t *data, size_t len) {
        if (len == 0)
            return;
        if (!obj.sink)
            open_object();
        w.object_sha.update(data, len);
        w.zstd.write(data, len);
    };

    w.sha.reset();
    w.object_sha.reset();
    uint64_t total = 0, since_check = 0, stored_bytes = 0;
    uint32_t block = 0, stored_pages = 0;
    size_t cursor = 0;
    const size_t nruns = w.prior_runs.size();
    for (;;) {
        size_t n = posix::read_full(in.get(), w.buffer.data(), w.buffer.size(), src.abs);
        const uint8_t *buf = w.buffer.data();
        w.sha.update(buf, n);
        total += n;
        state.bytes_done.fetch_add(n, std::memory_order_relaxed);
        size_t pending = 0, pending_len = 0; // contiguous pages to store
        for (size_t off = 0; off < n; off += kPageSize, block++) {
            const size_t len = std::min<size_t>(kPageSize, n - off);
            bool unchanged = false;
            if (len == kPageSize && block < prior_full) {
                uint64_t lsn = page_lsn(buf + off);
                // LSN 0: a page never WAL-logged (an all-zero page, an FSM
                // page): always stored, as nothing proves it unchanged.
                if (lsn != 0 && lsn < threshold) {
                    while (cursor < nruns &&
                           w.prior_runs[cursor].start + w.prior_runs[cursor].count <= block)
                        cursor++;
                    if (cursor < nruns && w.prior_runs[cursor].start <= block) {
                        const BlockRun &r = w.prior_runs[cursor];
                        append_run(w.runs, block, r.holder, r.offset + (block - r.start));
                        unchanged = true;
                    }
                }
            }
            if (unchanged) {
                store_pages(buf + pending, pending_len);
                pending_len = 0;
                continue;
            }
            if (pending_len == 0)
                pending = off;
            pending_len += len;
            append_run(w.runs, block, 0, stored_pages++);
            stored_bytes += len;
        }
        store_pages(buf + pending, pending_len);
        if (n < w.buffer.size())
            break;
        since_check += n;
        if (since_check >= kCancelCheckBytes) {
            since_check = 0;
            state.check();
        }
    }
    mf.size = total;
    mf.sha256 = w.sha.final_hex();

    if (block == 0 || stored_pages == block) {
        // Every page is new: the object is the whole file, as in a full backup.
        if (!obj.sink)
            open_object();
        w.zstd.finish();
        obj.sink->commit();
        mf.stored_size = obj.sink->bytes();
        return mf;
    }
    if (obj.sink) {
        w.zstd.finish();
        obj.sink->commit();
        mf.stored_size = obj.sink->bytes();
    }
    mf.object_sha256 = w.object_sha.final_hex();
    mf.object_size = stored_bytes;
    // Unchanged file whose prior version is one backup's whole object: a reference.
    const std::string whole_label = p.whole()          ? inc.prior->label
                                    : p.blocks.empty() ? p.reference
                                                       : std::string();
    const BlockRun &first = w.runs.front();
    if (stored_pages == 0 && w.runs.size() == 1 && first.offset == 0 && p.size == total &&
        !whole_label.empty() && (*inc.holders)[first.holder] == whole_label) {
        mf.reference = whole_label;
        mf.object_sha256.clear();
        mf.object_size = 0;
        // The restored file is the holder's copy. The live file may differ
        // from it in bytes that changed without moving the page LSN (hint
        // bits; a page torn by a concurrent write, which WAL replay repairs).
        mf.sha256 = p.sha256;
        return mf;
    }
    mf.blocks = w.runs;
    return mf;
}

// Other files with a prior entry: unchanged (size, mtime, sha256) becomes a reference.
std::optional<ManifestFile> reference_if_unchanged(const SourceFile &src, const ManifestFile &p,
                                                   const IncrementalBase &inc, Worker &w,
                                                   ParallelState &state, bool &vanished) {
    vanished = false;
    if (src.size != p.size || src.mtime != p.mtime || !p.blocks.empty())
        return std::nullopt;
    posix::Fd in = open_source(src);
    if (!in.valid()) {
        vanished = true;
        return std::nullopt;
    }
    w.sha.reset();
    uint64_t total = 0;
    for (;;) {
        size_t n = posix::read_full(in.get(), w.buffer.data(), w.buffer.size(), src.abs);
        w.sha.update(w.buffer.data(), n);
        total += n;
        if (n < w.buffer.size())
            break;
    }
    std::string sha = w.sha.final_hex();
    if (sha != p.sha256 || total != p.size)
        return std::nullopt; // changed: copied again
    state.bytes_done.fetch_add(total, std::memory_order_relaxed);
    ManifestFile mf = entry_for(src);
    mf.size = total;
    mf.sha256 = sha;
    mf.reference = p.reference.empty() ? inc.prior->label : p.reference;
    return mf;
}

std::optional<ManifestFile> copy_incremental(const SourceFile &src, const IncrementalBase &inc,
                                             Storage &store, const std::string &backup_dir,
                                             Worker &w, ParallelState &state) {
    const ManifestFile *p = inc.prior->find(src.rel);
    if (p) {
        if (is_page_compared(src.rel))
            return copy_pages(src, *p, inc, store, backup_dir, w, state);
        bool vanished = false;
        auto ref = reference_if_unchanged(src, *p, inc, w, state, vanished);
        if (ref || vanished)
            return ref;
    }
    return copy_one(src, store, backup_dir, w, state);
}

} // namespace

std::vector<ManifestFile> copy_files(const std::vector<SourceFile> &files, Storage &store,
                                     const std::string &backup_dir, int level, int parallel,
                                     const CancelPoll &cancel, const ProgressFn &progress,
                                     CopyStats &stats, const IncrementalBase *inc) {
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
            results[idx] =
                inc && inc->prior
                    ? copy_incremental(files[idx], *inc, store, backup_dir, *workers[w], state)
                    : copy_one(files[idx], store, backup_dir, *workers[w], state);
            state.files_done.fetch_add(1, std::memory_order_relaxed);
        },
        cancel, progress_ticker(report, progress));

    std::vector<ManifestFile> out;
    out.reserve(files.size());
    for (auto &r : results)
        if (r) {
            stats.original_bytes += r->size;
            stats.stored_bytes += r->stored_size;
            stats.copied_bytes += r->object_bytes();
            if (!r->object.empty())
                stats.changed_files++;
            out.push_back(std::move(*r));
        }
    std::sort(out.begin(), out.end(),
              [](const ManifestFile &a, const ManifestFile &b) { return a.path < b.path; });
    return out;
}

ManifestFile store_small_file(Storage &store, const std::string &backup_dir, const std::string &rel,
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
    store.write(key_join(backup_dir, mf.object), packed.data(), packed.size());
    return mf;
}

} // namespace safekeep
