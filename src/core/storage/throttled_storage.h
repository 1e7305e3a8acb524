// safekeep.max_rate: a job's writes to its repositories, shared by all of its
// threads, held to a number of bytes per second so a backup cannot saturate
// a production disk or link.
#pragma once

#include "storage/forwarding_storage.h"
#include "storage/rate_limit.h"

namespace safekeep {

class ThrottledStorage : public ForwardingStorage {
  public:
    ThrottledStorage(std::shared_ptr<Storage> inner, uint64_t bytes_per_second,
                     std::shared_ptr<RateClock> clock = steady_rate_clock());
    void write(const std::string &key, const void *data, size_t len) override;
    std::unique_ptr<ObjectWriter> create(const std::string &key) override;

  private:
    std::shared_ptr<RateLimit> limit_;
};

} // namespace safekeep
