#include "restore/restore_files.h"

#include "io/sha256.h"
#include "io/zstd_filter.h"
#include "storage/posix.h"
#include "util/error.h"

#include <algorithm>
#include <fcntl.h>
#include <memory>
#include <sys/stat.h>

namespace safekeep {

namespace {

constexpr size_t kBufferSize = 1 << 20;
constexpr uint64_t kCancelCheckBytes = 64ULL << 20;

struct Worker {
    Worker() : buffer(kBufferSize) {}
    Sha256 sha;
    ZstdDecompressor zstd;
    std::vector<uint8_t> buffer;
};

void restore_one(const ManifestFile &f, const std::string &backup_dir, const std::string &pgdata,
                 Worker &w, ParallelState &state) {
    std::string object = posix::join(backup_dir, f.object);
    std::string dest = posix::join(pgdata, f.path);
    posix::Fd in = posix::open_if_exists(object, O_RDONLY);
    if (!in.valid())
        throw Error("backup object \"" + object + "\" for file \"" + f.path + "\" is missing");
    ::posix_fadvise(in.get(), 0, 0, POSIX_FADV_SEQUENTIAL);
    posix::Fd out = posix::open_file(dest, O_WRONLY | O_CREAT | O_EXCL, 0600);

    FdSink sink(out.get(), dest);
    w.sha.reset();
    Sha256Filter hasher(w.sha, sink);
    w.zstd.reset(hasher);
    uint64_t since_check = 0;
    try {
        for (;;) {
            size_t n = posix::read_full(in.get(), w.buffer.data(), w.buffer.size(), object);
            if (n == 0)
                break;
            w.zstd.write(w.buffer.data(), n);
            since_check += n;
            if (since_check >= kCancelCheckBytes) {
                since_check = 0;
                state.check();
            }
        }
        w.zstd.finish();
    } catch (const CorruptData &e) {
        throw Error("backup object \"" + object + "\" for file \"" + f.path +
                    "\" is corrupt: " + e.what());
    }
    std::string got = w.sha.final_hex();
    if (got != f.sha256 || sink.bytes() != f.size)
        throw Error("backup object \"" + object + "\" for file \"" + f.path +
                    "\" is corrupt: sha256 " + got + " (" + std::to_string(sink.bytes()) +
                    " bytes), manifest says " + f.sha256 + " (" + std::to_string(f.size) +
                    " bytes)");
    state.bytes_done.fetch_add(f.size, std::memory_order_relaxed);

    if (::fchmod(out.get(), f.mode) != 0)
        throw_errno("could not set mode of \"" + dest + "\"");
    struct timespec times[2];
    times[0].tv_sec = times[1].tv_sec = static_cast<time_t>(f.mtime);
    times[0].tv_nsec = times[1].tv_nsec = 0;
    if (::futimens(out.get(), times) != 0)
        throw_errno("could not set modification time of \"" + dest + "\"");
    out.close(dest);
}

} // namespace

void restore_files(const std::vector<const ManifestFile *> &files, const std::string &backup_dir,
                   const std::string &pgdata, int parallel, const CancelPoll &cancel,
                   const ProgressFn &progress) {
    std::vector<const ManifestFile *> order(files);
    std::stable_sort(order.begin(), order.end(), [](const ManifestFile *a, const ManifestFile *b) {
        return a->size > b->size;
    });
    ProgressReport report;
    report.files_total = files.size();
    for (const auto *f : files)
        report.bytes_total += f->size;

    size_t n_workers = std::max<size_t>(1, std::min<size_t>(std::max(1, parallel), files.size()));
    std::vector<std::unique_ptr<Worker>> workers;
    for (size_t i = 0; i < n_workers; i++)
        workers.push_back(std::make_unique<Worker>());

    run_parallel(
        order.size(), static_cast<int>(n_workers),
        [&](size_t i, int w, ParallelState &state) {
            restore_one(*order[i], backup_dir, pgdata, *workers[w], state);
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
}

} // namespace safekeep
