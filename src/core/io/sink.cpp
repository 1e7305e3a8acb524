#include "io/sink.h"

#include "storage/posix.h"

namespace safekeep {

void FdSink::write(const uint8_t *data, size_t len) {
    posix::write_all(fd_, data, len, path_);
    bytes_ += len;
}

} // namespace safekeep
