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

    // One token per worker that has run out of work: a job may borrow them
    // to use more threads for one big item.
    std::atomic<int> idle_tokens{0};
    int take_idle(int max);
    void give_idle(int n) { idle_tokens.fetch_add(n); }

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

// A tick that publishes the run's counts in report (its totals set by the
// caller) to progress; nothing when progress is empty.
TickFn progress_ticker(ProgressReport &report, const ProgressFn &progress);

// job(index, worker) for index in [0, count); worker in [0, min(threads, count)).
// Rethrows the first job error, or throws Canceled.
void run_parallel(size_t count, int threads,
                  const std::function<void(size_t, int, ParallelState &)> &job,
                  const CancelPoll &cancel, const TickFn &tick);

// Runs a on a new thread (all signals blocked) and b on the calling thread;
// returns when both are done, rethrowing a's or b's exception.
void run_concurrently(const std::function<void()> &a, const std::function<void()> &b);

} // namespace safekeep
