// The process-wide stop poll: waits deep in the core (rate limiting, S3
// retry backoff, curl transfers, child processes, copy threads) end soon
// after the process has to stop -- its job was canceled or PostgreSQL's
// postmaster died -- without every layer passing a cancel callback down.
// The PostgreSQL shim registers the poll once (sk_set_stop_poll); it only
// reads flags, so any thread may call it. Without one (the CLI) nothing stops.
#pragma once

#include <chrono>

namespace safekeep {

// Returns nonzero when the process must stop. nullptr: never.
using StopPollFn = int (*)();
void set_stop_poll(StopPollFn poll);

// Longest a stoppable wait sleeps between two looks at the poll.
constexpr std::chrono::milliseconds kStopSlice{100};

// True when the registered poll says stop, unless this thread is inside a
// StopShield.
bool stop_requested();
// Whether stop_requested() can ever become true on this thread now (a poll
// is registered and no StopShield is active): plain blocking waits are fine
// otherwise.
bool stop_watched();
// Throws Canceled when stop_requested().
void check_stop();
// Sleeps for d in slices of at most kStopSlice; throws Canceled as soon as
// stop_requested().
void sleep_or_stop(std::chrono::nanoseconds d);

// While alive, stop_requested() is false on this thread: clean-up after a
// stop (stopping a scratch server, removing its files) must run to its end.
class StopShield {
  public:
    StopShield();
    ~StopShield();
    StopShield(const StopShield &) = delete;
    StopShield &operator=(const StopShield &) = delete;
};

} // namespace safekeep
