// Runs jobs on worker threads pulling from a shared queue. The calling thread
// only supervises: it polls the cancel callback and publishes progress, so
// neither callback ever runs on a worker thread.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>

namespace safekeep {

struct ParallelState {
    std::atomic<bool> stop{false};
    std::atomic<uint64_t> files_done{0};
    std::atomic<uint64_t> bytes_done{0};

    // Workers call this between files and every few MiB: throws Canceled once
    // the run is stopping (cancel requested or another worker failed).
    void check() const;
};

// Called on the calling thread roughly every 100 ms and once at the end.
using TickFn = std::function<void(const ParallelState &)>;
// Returns true to cancel.
using CancelPoll = std::function<bool()>;

// What callers publish to sk_progress.
struct ProgressReport {
    uint64_t files_total = 0, files_done = 0, bytes_total = 0, bytes_done = 0;
};
using ProgressFn = std::function<void(const ProgressReport &)>;

// job(index, worker) for index in [0, count); worker in [0, threads).
// Rethrows the first job error, or throws Canceled.
void run_parallel(size_t count, int threads,
                  const std::function<void(size_t, int, ParallelState &)> &job,
                  const CancelPoll &cancel, const TickFn &tick);

} // namespace safekeep
