// A Sink that checks a parallel job's cancellation as bytes pass (os/parallel.h).
#pragma once

#include "io/sink.h"
#include "os/parallel.h"

#include <cstdint>

namespace safekeep {

// Passes bytes on and checks for cancellation every 4 MiB, so a long stream
// (one big object) still stops soon after a cancel: the supervisor sets stop
// within 100 ms, and the check is one atomic load. (A throttled write waits
// in RateLimit, which looks at the stop poll itself.)
class CancelCheckSink : public Sink {
  public:
    CancelCheckSink(Sink &next, ParallelState &state) : next_(next), state_(state) {}
    void write(const uint8_t *data, size_t len) override {
        next_.write(data, len);
        since_check_ += len;
        if (since_check_ >= (4u << 20)) {
            since_check_ = 0;
            state_.check();
        }
    }

  private:
    Sink &next_;
    ParallelState &state_;
    uint64_t since_check_ = 0;
};

} // namespace safekeep
