#include "os/stop.h"

#include "util/error.h"

#include <atomic>
#include <thread>

namespace safekeep {

namespace {

std::atomic<StopPollFn> g_poll{nullptr};
thread_local int t_shield_depth = 0;

} // namespace

void set_stop_poll(StopPollFn poll) {
    g_poll.store(poll);
}

bool stop_watched() {
    return t_shield_depth == 0 && g_poll.load() != nullptr;
}

bool stop_requested() {
    if (t_shield_depth > 0)
        return false;
    StopPollFn poll = g_poll.load();
    return poll != nullptr && poll() != 0;
}

void check_stop() {
    if (stop_requested())
        throw Canceled();
}

void sleep_or_stop(std::chrono::nanoseconds d) {
    auto until = std::chrono::steady_clock::now() + d;
    for (;;) {
        check_stop();
        auto now = std::chrono::steady_clock::now();
        if (now >= until)
            return;
        std::this_thread::sleep_for(std::min<std::chrono::nanoseconds>(until - now, kStopSlice));
    }
}

StopShield::StopShield() {
    t_shield_depth++;
}
StopShield::~StopShield() {
    t_shield_depth--;
}

} // namespace safekeep
