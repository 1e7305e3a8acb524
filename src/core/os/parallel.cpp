#include "os/parallel.h"

#include "util/error.h"
#include "os/stop.h"

#include <chrono>
#include <condition_variable>
#include <csignal>
#include <exception>
#include <mutex>
#include <pthread.h>
#include <thread>
#include <vector>

namespace safekeep {

void ParallelState::check() const {
    if (stop.load(std::memory_order_relaxed))
        throw Canceled();
}

int ParallelState::take_idle(int max) {
    int have = idle_tokens.load();
    for (;;) {
        int take = have < max ? have : max;
        if (take <= 0)
            return 0;
        if (idle_tokens.compare_exchange_weak(have, have - take))
            return take;
    }
}

void run_parallel(size_t count, int threads,
                  const std::function<void(size_t, int, ParallelState &)> &job,
                  const CancelPoll &cancel, const TickFn &tick) {
    ParallelState state;
    std::atomic<size_t> next{0};
    std::mutex mu;
    std::condition_variable cv;
    size_t running = 0;
    std::exception_ptr first_error;
    bool canceled = false;

    // The caller's cancel or the process's stop (a dead postmaster).
    auto should_stop = [&] { return (cancel && cancel()) || stop_requested(); };
    // Poll once up front so a pending cancel stops even a tiny job set.
    if (should_stop())
        throw Canceled();
    if (threads < 1)
        threads = 1;
    if (static_cast<size_t>(threads) > count) {
        // Threads we do not start are idle from the outset.
        int spawn = static_cast<int>(count == 0 ? 1 : count);
        state.give_idle(threads - spawn);
        threads = spawn;
    }

    auto worker = [&](int id) {
        try {
            for (;;) {
                state.check();
                size_t i = next.fetch_add(1);
                if (i >= count) {
                    state.give_idle(1); // our CPU is free for others' big items
                    break;
                }
                job(i, id, state);
            }
        } catch (const Canceled &) {
            // stop was set by someone else; they report why
        } catch (...) {
            std::lock_guard<std::mutex> g(mu);
            if (!first_error)
                first_error = std::current_exception();
            state.stop = true;
        }
        std::lock_guard<std::mutex> g(mu);
        running--;
        cv.notify_all();
    };

    // Threads inherit the signal mask: block everything so signals keep going
    // to the PostgreSQL process's main thread, whose handlers expect that.
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, &old);
    std::vector<std::thread> pool;
    std::exception_ptr spawn_error;
    try {
        for (int t = 0; t < threads; t++) {
            {
                std::lock_guard<std::mutex> g(mu);
                running++;
            }
            try {
                pool.emplace_back(worker, t);
            } catch (...) {
                std::lock_guard<std::mutex> g(mu);
                running--;
                throw;
            }
        }
    } catch (...) {
        spawn_error = std::current_exception();
        state.stop = true;
    }
    pthread_sigmask(SIG_SETMASK, &old, nullptr);

    {
        std::unique_lock<std::mutex> lk(mu);
        while (running > 0) {
            cv.wait_for(lk, std::chrono::milliseconds(100));
            lk.unlock();
            if (!canceled && should_stop()) {
                canceled = true;
                state.stop = true;
            }
            if (tick)
                tick(state);
            lk.lock();
        }
    }
    for (auto &t : pool)
        t.join();
    if (tick)
        tick(state);
    if (spawn_error)
        std::rethrow_exception(spawn_error);
    if (first_error)
        std::rethrow_exception(first_error);
    if (canceled)
        throw Canceled();
}

void run_concurrently(const std::function<void()> &a, const std::function<void()> &b) {
    std::exception_ptr a_error;
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, &old);
    std::thread t;
    try {
        t = std::thread([&] {
            try {
                a();
            } catch (...) {
                a_error = std::current_exception();
            }
        });
    } catch (...) {
        pthread_sigmask(SIG_SETMASK, &old, nullptr);
        throw;
    }
    pthread_sigmask(SIG_SETMASK, &old, nullptr);
    std::exception_ptr b_error;
    try {
        b();
    } catch (...) {
        b_error = std::current_exception();
    }
    t.join();
    if (a_error)
        std::rethrow_exception(a_error);
    if (b_error)
        std::rethrow_exception(b_error);
}

TickFn progress_ticker(ProgressReport &report, const ProgressFn &progress) {
    return [&report, &progress](const ParallelState &state) {
        if (!progress)
            return;
        report.files_done = state.files_done.load(std::memory_order_relaxed);
        report.bytes_done = state.bytes_done.load(std::memory_order_relaxed);
        progress(report);
    };
}

} // namespace safekeep
