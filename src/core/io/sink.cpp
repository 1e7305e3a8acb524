#include "io/sink.h"

#include <fcntl.h>

#include "os/files.h"

namespace safekeep {

namespace {
constexpr uint64_t kWritebackChunk = 8ULL << 20;
}

void FdSink::write(const uint8_t *data, size_t len) {
    posix::write_all(fd_, data, len, path_);
    bytes_ += len;
    if (bytes_ - writeback_from_ >= kWritebackChunk)
        start_writeback();
}

void FdSink::finish() {
    start_writeback();
}

void FdSink::start_writeback() {
    // Only a hint: durability comes from the fsync/syncfs that follows, which
    // also reports any write error.
    if (bytes_ > writeback_from_)
        ::sync_file_range(fd_, static_cast<off_t>(writeback_from_),
                          static_cast<off_t>(bytes_ - writeback_from_), SYNC_FILE_RANGE_WRITE);
    writeback_from_ = bytes_;
}

} // namespace safekeep
