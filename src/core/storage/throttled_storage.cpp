#include "storage/throttled_storage.h"

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

ThrottledStorage::ThrottledStorage(std::shared_ptr<Storage> inner, uint64_t bytes_per_second,
                                   std::shared_ptr<RateClock> clock)
    : ForwardingStorage(std::move(inner)),
      limit_(std::make_shared<RateLimit>(bytes_per_second, std::move(clock))) {}

void ThrottledStorage::write(const std::string &key, const void *data, size_t len) {
    limit_->take(len);
    inner_->write(key, data, len);
}

std::unique_ptr<ObjectWriter> ThrottledStorage::create(const std::string &key) {
    return std::make_unique<ThrottledWriter>(inner_->create(key), limit_);
}

} // namespace safekeep
