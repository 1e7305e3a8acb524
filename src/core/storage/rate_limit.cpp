#include "storage/rate_limit.h"

#include "util/error.h"
#include "os/stop.h"

#include <thread>

namespace safekeep {

namespace {

class SteadyRateClock : public RateClock {
  public:
    time_point now() override { return std::chrono::steady_clock::now(); }
    void sleep_until(time_point t) override { std::this_thread::sleep_until(t); }
    std::chrono::nanoseconds max_sleep() override { return kStopSlice; }
};

} // namespace

std::shared_ptr<RateClock> steady_rate_clock() {
    static const std::shared_ptr<RateClock> clock = std::make_shared<SteadyRateClock>();
    return clock;
}

RateLimit::RateLimit(uint64_t bytes_per_second, std::shared_ptr<RateClock> clock, RateStopPoll stop)
    : rate_(static_cast<double>(bytes_per_second)), clock_(std::move(clock)),
      stop_(stop ? std::move(stop) : RateStopPoll([] { return stop_requested(); })),
      next_free_(clock_->now()) {}

void RateLimit::take(size_t n) {
    RateClock::time_point now, until;
    {
        std::lock_guard<std::mutex> g(mu_);
        now = clock_->now();
        // Idle time earns at most one second of burst.
        if (next_free_ < now - std::chrono::seconds(1))
            next_free_ = now - std::chrono::seconds(1);
        // Rounded, not truncated: whole nanoseconds per byte add up exactly.
        next_free_ += std::chrono::round<RateClock::time_point::duration>(
            std::chrono::duration<double>(static_cast<double>(n) / rate_));
        until = next_free_;
    }
    const auto slice = clock_->max_sleep();
    while (until > now) {
        if (stop_())
            throw Canceled();
        // Compared, not added: now + nanoseconds::max() would overflow.
        clock_->sleep_until(until - now > slice ? now + slice : until);
        now = clock_->now();
    }
}

} // namespace safekeep
