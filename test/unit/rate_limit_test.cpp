// safekeep.max_rate: the token bucket and ThrottledStorage, timed by a fake
// clock so the schedule is checked exactly and no test waits on wall time
// (except the one that checks the real clock gives up on the stop poll).
#include "storage/posix_storage.h"
#include "storage/rate_limit.h"
#include "storage/throttled_storage.h"
#include "temp_dir.h"
#include "util/error.h"
#include "os/stop.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <mutex>
#include <thread>
#include <vector>

using namespace safekeep;
using namespace std::chrono_literals;
using safekeep::test::TempDir;

namespace {

// Time stands still until someone sleeps: a sleep moves it to the instant
// asked for, so the total slept is how long the writes were held back.
class FakeClock : public RateClock {
  public:
    time_point now() override {
        std::lock_guard<std::mutex> g(mu_);
        return now_;
    }
    void sleep_until(time_point t) override {
        std::lock_guard<std::mutex> g(mu_);
        requests_.push_back(t);
        if (t > now_) {
            slept_ += t - now_;
            now_ = t;
        }
    }
    void advance(std::chrono::nanoseconds d) {
        std::lock_guard<std::mutex> g(mu_);
        now_ += d;
    }
    // Every sleep_until asked for, and forgets them.
    std::vector<time_point> take_requests() {
        std::lock_guard<std::mutex> g(mu_);
        return std::move(requests_);
    }
    std::chrono::nanoseconds slept() {
        std::lock_guard<std::mutex> g(mu_);
        return slept_;
    }

  private:
    std::mutex mu_;
    time_point now_ = time_point() + 1000h; // any instant will do
    std::vector<time_point> requests_;
    std::chrono::nanoseconds slept_{0};
};

// One byte per microsecond: every grant is a whole number of nanoseconds.
constexpr uint64_t kRate = 1000000;

using Instants = std::vector<RateClock::time_point>;

class RateLimitTest : public ::testing::Test {
  protected:
    std::shared_ptr<FakeClock> clock = std::make_shared<FakeClock>();
    const RateClock::time_point start = clock->now();
    RateLimit limit{kRate, clock};
};

} // namespace

TEST_F(RateLimitTest, IdleTimeLetsOneSecondThroughThenPaces) {
    clock->advance(10s);
    const auto idle_end = clock->now();
    limit.take(kRate); // one second's worth: the burst
    EXPECT_TRUE(clock->take_requests().empty());
    limit.take(250000);
    EXPECT_EQ(clock->take_requests(), Instants{idle_end + 250ms});
    limit.take(500000);
    limit.take(1);
    EXPECT_EQ(clock->take_requests(), (Instants{idle_end + 750ms, idle_end + 750001us}));
    EXPECT_EQ(clock->slept(), 750001us);
}

TEST_F(RateLimitTest, IdleNeverEarnsMoreThanOneSecond) {
    clock->advance(1h);
    const auto idle_end = clock->now();
    limit.take(kRate);
    EXPECT_TRUE(clock->take_requests().empty());
    limit.take(1000);
    EXPECT_EQ(clock->take_requests(), Instants{idle_end + 1ms});

    // Caught up at idle_end + 1 ms; 400 ms idle earn 400 ms of bytes, no more.
    clock->advance(400ms);
    limit.take(400000);
    EXPECT_TRUE(clock->take_requests().empty());
    limit.take(100000);
    EXPECT_EQ(clock->take_requests(), Instants{idle_end + 501ms});
}

TEST_F(RateLimitTest, NewLimitHasNoBurst) {
    limit.take(1000);
    EXPECT_EQ(clock->take_requests(), Instants{start + 1ms});
}

TEST_F(RateLimitTest, ThreadsShareOneLimit) {
    const int threads = 4, takes = 200;
    std::vector<std::thread> ts;
    for (int t = 0; t < threads; t++)
        ts.emplace_back([&, t] {
            for (int i = 0; i < takes; i++)
                limit.take(1 + t * takes + i); // every size differs
        });
    for (auto &t : ts)
        t.join();
    uint64_t bytes = 0;
    for (int k = 0; k < threads * takes; k++)
        bytes += 1 + k;
    // Every take waited (no burst), for its own share of the one schedule.
    Instants req = clock->take_requests();
    ASSERT_EQ(req.size(), static_cast<size_t>(threads * takes));
    std::sort(req.begin(), req.end());
    EXPECT_EQ(std::adjacent_find(req.begin(), req.end()), req.end()); // no grant twice
    EXPECT_EQ(req.back(), start + std::chrono::microseconds(bytes));
    EXPECT_EQ(clock->slept(), std::chrono::microseconds(bytes));
}

TEST(ThrottledStorage, WritesArriveIntactAtTheRate) {
    TempDir dir;
    auto clock = std::make_shared<FakeClock>();
    auto posix = std::make_shared<PosixStorage>(dir.path());
    ThrottledStorage store(posix, kRate, clock);

    std::string one(300000, '\0'), two(700001, '\0');
    for (size_t i = 0; i < one.size(); i++)
        one[i] = static_cast<char>(i * 7);
    for (size_t i = 0; i < two.size(); i++)
        two[i] = static_cast<char>(i * 13 + i / 251);
    store.write("a/one", one.data(), one.size());
    auto w = store.create("b/two");
    for (size_t off = 0; off < two.size(); off += 4096)
        w->write(reinterpret_cast<const uint8_t *>(two.data()) + off,
                 std::min<size_t>(4096, two.size() - off));
    w->finish();
    w->commit();
    EXPECT_EQ(w->bytes(), two.size());

    EXPECT_EQ(posix->read("a/one"), one);
    EXPECT_EQ(posix->read("b/two"), two);
    EXPECT_EQ(clock->slept(), std::chrono::microseconds(one.size() + two.size()));
    // Reads are not throttled.
    clock->take_requests();
    EXPECT_EQ(store.read("b/two"), two);
    EXPECT_TRUE(clock->take_requests().empty());
}

namespace {

// A fake clock that, like the steady one, never sleeps longer than 100 ms.
class SlicingFakeClock : public FakeClock {
  public:
    std::chrono::nanoseconds max_sleep() override { return 100ms; }
};

} // namespace

TEST(RateLimitStop, LongWaitLooksAtTheStopPollEverySliceAndThrows) {
    auto clock = std::make_shared<SlicingFakeClock>();
    const auto start = clock->now();
    int polls = 0;
    // Stop once 350 ms of a 10 s wait have passed.
    RateLimit limit(kRate, clock, [&] {
        polls++;
        return clock->now() >= start + 350ms;
    });
    EXPECT_THROW(limit.take(10 * kRate), Canceled);
    EXPECT_EQ(clock->take_requests(),
              (Instants{start + 100ms, start + 200ms, start + 300ms, start + 400ms}));
    EXPECT_EQ(polls, 5);
}

TEST(RateLimitStop, SlicedWaitEndsOnTheGrantWhenNotStopped) {
    auto clock = std::make_shared<SlicingFakeClock>();
    const auto start = clock->now();
    RateLimit limit(kRate, clock, [] { return false; });
    limit.take(250000);
    EXPECT_EQ(clock->take_requests(), (Instants{start + 100ms, start + 200ms, start + 250ms}));
    EXPECT_EQ(clock->slept(), 250ms);
}

namespace {

std::atomic<int> g_stop{0};
int test_stop_poll() {
    return g_stop.load();
}

} // namespace

// The real clock and the process-wide stop poll, as in a job worker: a
// thread held back for ~1000 s by the limit is released by the poll.
TEST(RateLimitStop, SteadyClockWaitEndsSoonAfterTheProcessStopPoll) {
    g_stop = 0;
    set_stop_poll(test_stop_poll);
    auto posix_dir = std::make_unique<TempDir>();
    ThrottledStorage store(std::make_shared<PosixStorage>(posix_dir->path()), 1000);
    std::atomic<bool> canceled{false}, done{false};
    std::thread t([&] {
        try {
            std::string big(1000 * 1000, 'x'); // 1000 s at 1000 bytes/s, burst 1 s
            store.write("big", big.data(), big.size());
        } catch (const Canceled &) {
            canceled = true;
        }
        done = true;
    });
    std::this_thread::sleep_for(300ms);
    EXPECT_FALSE(done.load()); // still held back
    g_stop = 1;
    // A bounded wait for the event (not a timing assertion): 10 s >> one slice.
    for (int i = 0; i < 1000 && !done.load(); i++)
        std::this_thread::sleep_for(10ms);
    EXPECT_TRUE(done.load());
    t.join();
    set_stop_poll(nullptr);
    g_stop = 0;
    EXPECT_TRUE(canceled.load());
    EXPECT_FALSE(std::make_shared<PosixStorage>(posix_dir->path())->exists("big"));
}
