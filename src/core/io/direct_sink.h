// A Sink that writes a new file with O_DIRECT: restored data goes straight to
// the device from an aligned staging buffer instead of through the page
// cache (which on small VMs fills at half the device's speed), so the final
// sync has almost nothing left to do. Falls back to buffered writes where the
// file system refuses O_DIRECT.
#pragma once

#include "io/sink.h"
#include "os/files.h"

#include <memory>

namespace safekeep {

class DirectFileSink : public Sink {
  public:
    // Creates path (O_EXCL) with mode.
    DirectFileSink(const std::string &path, mode_t mode);
    ~DirectFileSink() override;
    void write(const uint8_t *data, size_t len) override;
    // Writes the tail (padded, then truncated to the real size).
    void finish() override;
    uint64_t bytes() const { return bytes_; }
    int fd() const { return fd_.get(); }
    void close();

  private:
    void flush_aligned(size_t len);

    std::string path_;
    posix::Fd fd_;
    bool direct_ = false;
    std::unique_ptr<uint8_t, void (*)(void *)> buf_;
    size_t used_ = 0;
    uint64_t bytes_ = 0;
    uint64_t written_ = 0; // bytes on disk so far (a multiple of the alignment)
};

} // namespace safekeep
