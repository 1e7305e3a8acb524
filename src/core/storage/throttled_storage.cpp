#include "storage/throttled_storage.h"

#include <thread>

namespace safekeep {

namespace {

class ThrottledWriter : public ObjectWriter {
  public:
    ThrottledWriter(std::unique_ptr<ObjectWriter> inner, std::shared_ptr<RateLimit> limit)
        : inner_(std::move(inner)), limit_(std::move(limit)) {}
    void write(const uint8_t *data, size_t len) override {
        limit_->take(len);
        inner_->write(data, len);
    }
    void finish() override { inner_->finish(); }
    void commit() override { inner_->commit(); }
    uint64_t bytes() const override { return inner_->bytes(); }

  private:
    std::unique_ptr<ObjectWriter> inner_;
    std::shared_ptr<RateLimit> limit_;
};

} // namespace

RateLimit::RateLimit(uint64_t bytes_per_second)
    : rate_(static_cast<double>(bytes_per_second)), next_free_(Clock::now()) {}

void RateLimit::take(size_t n) {
    Clock::time_point until;
    {
        std::lock_guard<std::mutex> g(mu_);
        const Clock::time_point now = Clock::now();
        // Idle time earns at most one second of burst.
        if (next_free_ < now - std::chrono::seconds(1))
            next_free_ = now - std::chrono::seconds(1);
        next_free_ += std::chrono::duration_cast<Clock::duration>(
            std::chrono::duration<double>(static_cast<double>(n) / rate_));
        until = next_free_;
    }
    std::this_thread::sleep_until(until);
}

ThrottledStorage::ThrottledStorage(std::shared_ptr<Storage> inner, uint64_t bytes_per_second)
    : ForwardingStorage(std::move(inner)), limit_(std::make_shared<RateLimit>(bytes_per_second)) {}

void ThrottledStorage::write(const std::string &key, const void *data, size_t len) {
    limit_->take(len);
    inner_->write(key, data, len);
}

std::unique_ptr<ObjectWriter> ThrottledStorage::create(const std::string &key) {
    return std::make_unique<ThrottledWriter>(inner_->create(key), limit_);
}

} // namespace safekeep
