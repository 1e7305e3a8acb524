// safekeep.max_rate's token bucket, shared by all of a job's threads, with
// the clock injectable so tests can check the schedule without wall time.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>

namespace safekeep {

// Where a RateLimit reads the time and waits.
class RateClock {
  public:
    using time_point = std::chrono::steady_clock::time_point;
    virtual ~RateClock() = default;
    virtual time_point now() = 0;
    virtual void sleep_until(time_point t) = 0;
    // Longest single sleep_until a RateLimit asks for, so it can look at its
    // stop poll in between. The default never splits a wait.
    virtual std::chrono::nanoseconds max_sleep() { return std::chrono::nanoseconds::max(); }
};

// steady_clock and std::this_thread::sleep_until, in slices of kStopSlice.
std::shared_ptr<RateClock> steady_rate_clock();

// True when a waiting take() must give up (default: stop_requested()).
using RateStopPoll = std::function<bool()>;

// A token bucket with one second of burst.
class RateLimit {
  public:
    explicit RateLimit(uint64_t bytes_per_second,
                       std::shared_ptr<RateClock> clock = steady_rate_clock(),
                       RateStopPoll stop = nullptr);
    // Blocks until n more bytes may go; returns at once within the burst.
    // A wait looks at the stop poll every clock->max_sleep() and throws
    // Canceled when it says stop (with many threads sharing one bucket a
    // single wait can last seconds).
    void take(size_t n);

  private:
    const double rate_;
    const std::shared_ptr<RateClock> clock_;
    const RateStopPoll stop_;
    std::mutex mu_;
    RateClock::time_point next_free_; // when the bytes granted so far have been "sent"
};

} // namespace safekeep
