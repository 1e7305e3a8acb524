#include "io/direct_sink.h"

#include "util/error.h"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <unistd.h>

namespace safekeep {

namespace {
constexpr size_t kAlign = 4096;
constexpr size_t kBufferSize = 1 << 20;

void *aligned_buffer() {
    void *p = nullptr;
    if (::posix_memalign(&p, kAlign, kBufferSize) != 0)
        throw Error("out of memory for a restore buffer");
    return p;
}
} // namespace

DirectFileSink::DirectFileSink(const std::string &path, mode_t mode)
    : path_(path), buf_(static_cast<uint8_t *>(aligned_buffer()), std::free) {
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_DIRECT | O_CLOEXEC, mode);
    if (fd >= 0) {
        direct_ = true;
        fd_ = posix::Fd(fd);
    } else if (errno == EINVAL) {
        fd_ = posix::open_file(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
    } else {
        throw_errno("could not create \"" + path + "\"");
    }
}

DirectFileSink::~DirectFileSink() = default;

void DirectFileSink::flush_aligned(size_t len) {
    posix::write_all(fd_.get(), buf_.get(), len, path_);
    written_ += len;
}

void DirectFileSink::write(const uint8_t *data, size_t len) {
    bytes_ += len;
    while (len > 0) {
        size_t take = std::min(len, kBufferSize - used_);
        std::memcpy(buf_.get() + used_, data, take);
        used_ += take;
        data += take;
        len -= take;
        if (used_ == kBufferSize) {
            flush_aligned(used_);
            used_ = 0;
        }
    }
}

void DirectFileSink::finish() {
    if (used_ == 0)
        return;
    if (!direct_) {
        flush_aligned(used_);
        used_ = 0;
        return;
    }
    // O_DIRECT writes whole blocks: pad the tail, then cut the file back.
    size_t padded = (used_ + kAlign - 1) / kAlign * kAlign;
    std::memset(buf_.get() + used_, 0, padded - used_);
    flush_aligned(padded);
    used_ = 0;
    if (::ftruncate(fd_.get(), static_cast<off_t>(bytes_)) != 0)
        throw_errno("could not truncate \"" + path_ + "\"");
}

void DirectFileSink::close() {
    fd_.close(path_);
}

} // namespace safekeep
