// safekeep.max_rate: a job's writes to its repositories, shared by all of its
// threads, held to a number of bytes per second so a backup cannot saturate
// a production disk or link.
#pragma once

#include "storage/forwarding_storage.h"

#include <chrono>
#include <mutex>

namespace safekeep {

// A token bucket with one second of burst.
class RateLimit {
  public:
    explicit RateLimit(uint64_t bytes_per_second);
    // Blocks until n more bytes may go.
    void take(size_t n);

  private:
    using Clock = std::chrono::steady_clock;
    const double rate_;
    std::mutex mu_;
    Clock::time_point next_free_; // when the bytes granted so far have been "sent"
};

class ThrottledStorage : public ForwardingStorage {
  public:
    ThrottledStorage(std::shared_ptr<Storage> inner, uint64_t bytes_per_second);
    void write(const std::string &key, const void *data, size_t len) override;
    std::unique_ptr<ObjectWriter> create(const std::string &key) override;

  private:
    std::shared_ptr<RateLimit> limit_;
};

} // namespace safekeep
