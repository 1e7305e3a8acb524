// Stream filters: a chain of Sinks; each one transforms bytes and passes them on.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace safekeep {

class Sink {
  public:
    virtual ~Sink() = default;
    virtual void write(const uint8_t *data, size_t len) = 0;
    // End of stream: flush whatever is buffered.
    virtual void finish() {}
};

// Appends to a vector (small objects, tests).
class VectorSink : public Sink {
  public:
    explicit VectorSink(std::vector<uint8_t> &out) : out_(out) {}
    void write(const uint8_t *data, size_t len) override {
        out_.insert(out_.end(), data, data + len);
    }

  private:
    std::vector<uint8_t> &out_;
};

// Writes to a file descriptor it does not own; counts bytes; errors name the path.
// Starts the kernel's writeback every few MiB and at finish(), so the single
// sync that makes a backup or restore durable finds little left to write.
class FdSink : public Sink {
  public:
    FdSink(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}
    void write(const uint8_t *data, size_t len) override;
    void finish() override;
    uint64_t bytes() const { return bytes_; }

  private:
    void start_writeback();

    int fd_;
    std::string path_;
    uint64_t bytes_ = 0;
    uint64_t writeback_from_ = 0;
};

} // namespace safekeep
