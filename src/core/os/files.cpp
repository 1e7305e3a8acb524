#include "os/files.h"

#include "util/error.h"

#include <cerrno>
#include <cstring>
#include <dirent.h>
#include <fcntl.h>
#include <random>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

namespace safekeep::posix {

Fd::~Fd() {
    if (fd_ >= 0)
        ::close(fd_);
}

Fd &Fd::operator=(Fd &&o) noexcept {
    if (this != &o) {
        if (fd_ >= 0)
            ::close(fd_);
        fd_ = o.fd_;
        o.fd_ = -1;
    }
    return *this;
}

void Fd::close(const std::string &path) {
    if (fd_ < 0)
        return;
    int fd = fd_;
    fd_ = -1;
    if (::close(fd) != 0 && errno != EINTR)
        throw_errno("could not close \"" + path + "\"");
}

std::string join(const std::string &a, const std::string &b) {
    if (a.empty())
        return b;
    if (b.empty())
        return a;
    if (a.back() == '/')
        return a + b;
    return a + "/" + b;
}

std::string dirname(const std::string &path) {
    auto pos = path.find_last_of('/');
    if (pos == std::string::npos)
        return ".";
    if (pos == 0)
        return "/";
    return path.substr(0, pos);
}

std::string basename(const std::string &path) {
    auto pos = path.find_last_of('/');
    return pos == std::string::npos ? path : path.substr(pos + 1);
}

Fd open_file(const std::string &path, int flags, mode_t mode) {
    int fd;
    do {
        fd = ::open(path.c_str(), flags | O_CLOEXEC, mode);
    } while (fd < 0 && errno == EINTR);
    if (fd < 0)
        throw_errno("could not open \"" + path + "\"");
    return Fd(fd);
}

Fd open_if_exists(const std::string &path, int flags) {
    int fd;
    do {
        fd = ::open(path.c_str(), flags | O_CLOEXEC);
    } while (fd < 0 && errno == EINTR);
    if (fd < 0) {
        if (errno == ENOENT)
            return Fd();
        throw_errno("could not open \"" + path + "\"");
    }
    return Fd(fd);
}

size_t read_full(int fd, void *buf, size_t len, const std::string &path) {
    size_t done = 0;
    auto *p = static_cast<char *>(buf);
    while (done < len) {
        ssize_t n = ::read(fd, p + done, len - done);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            throw_errno("could not read \"" + path + "\"");
        }
        if (n == 0)
            break;
        done += static_cast<size_t>(n);
    }
    return done;
}

void write_all(int fd, const void *buf, size_t len, const std::string &path) {
    auto *p = static_cast<const char *>(buf);
    while (len > 0) {
        ssize_t n = ::write(fd, p, len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            throw_errno("could not write \"" + path + "\"");
        }
        p += n;
        len -= static_cast<size_t>(n);
    }
}

void fsync_fd(int fd, const std::string &path) {
    if (::fsync(fd) != 0)
        throw_errno("could not fsync \"" + path + "\"");
}

void fsync_dir(const std::string &path) {
    Fd fd = open_file(path, O_RDONLY | O_DIRECTORY);
    fsync_fd(fd.get(), path);
}

void syncfs_path(const std::string &path) {
    Fd fd = open_file(path, O_RDONLY);
    if (::syncfs(fd.get()) != 0)
        throw_errno("could not sync file system of \"" + path + "\"");
}

bool exists(const std::string &path) {
    struct stat st;
    return ::lstat(path.c_str(), &st) == 0;
}

bool is_dir(const std::string &path) {
    struct stat st;
    return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

bool is_empty_dir(const std::string &path) {
    return list_dir(path).empty();
}

void make_dir(const std::string &path, mode_t mode, bool durable) {
    if (::mkdir(path.c_str(), mode) != 0) {
        if (errno == EEXIST && is_dir(path))
            return;
        throw_errno("could not create directory \"" + path + "\"");
    }
    if (durable)
        fsync_dir(dirname(path));
}

void make_dirs(const std::string &path, mode_t mode, bool durable) {
    if (path.empty() || is_dir(path))
        return;
    std::string parent = dirname(path);
    if (parent != path)
        make_dirs(parent, mode, durable);
    make_dir(path, mode, durable);
}

std::vector<DirEntry> list_dir(const std::string &path) {
    DIR *d = ::opendir(path.c_str());
    if (!d)
        throw_errno("could not open directory \"" + path + "\"");
    std::vector<DirEntry> out;
    errno = 0;
    while (struct dirent *de = ::readdir(d)) {
        if (std::strcmp(de->d_name, ".") == 0 || std::strcmp(de->d_name, "..") == 0)
            continue;
        out.push_back({de->d_name, de->d_type});
        errno = 0;
    }
    int err = errno;
    ::closedir(d);
    if (err != 0)
        throw_errno("could not read directory \"" + path + "\"", err);
    return out;
}

std::vector<DirEntry> list_dir_if_exists(const std::string &path) {
    if (!is_dir(path))
        return {};
    return list_dir(path);
}

void remove_tree(const std::string &path) {
    struct stat st;
    if (::lstat(path.c_str(), &st) != 0) {
        if (errno == ENOENT)
            return;
        throw_errno("could not stat \"" + path + "\"");
    }
    if (S_ISDIR(st.st_mode)) {
        for (const auto &e : list_dir(path))
            remove_tree(join(path, e.name));
        if (::rmdir(path.c_str()) != 0 && errno != ENOENT)
            throw_errno("could not remove directory \"" + path + "\"");
    } else if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
        throw_errno("could not remove \"" + path + "\"");
    }
}

std::string read_file(const std::string &path) {
    Fd fd = open_file(path, O_RDONLY);
    std::string out;
    char buf[65536];
    for (;;) {
        size_t n = read_full(fd.get(), buf, sizeof buf, path);
        out.append(buf, n);
        if (n < sizeof buf)
            break;
    }
    return out;
}

MappedFile::MappedFile(const std::string &path) {
    Fd fd = open_file(path, O_RDONLY);
    struct stat st;
    if (::fstat(fd.get(), &st) != 0)
        throw_errno("could not stat \"" + path + "\"");
    size_ = static_cast<size_t>(st.st_size);
    if (size_ == 0)
        return;
    addr_ = ::mmap(nullptr, size_, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd.get(), 0);
    if (addr_ == MAP_FAILED) {
        addr_ = nullptr;
        throw_errno("could not map \"" + path + "\"");
    }
}

MappedFile::~MappedFile() {
    if (addr_)
        ::munmap(addr_, size_);
}

std::string temp_name_for(const std::string &final_path) {
    thread_local std::mt19937_64 rng(std::random_device{}() ^
                                     (static_cast<uint64_t>(::getpid()) << 32));
    char suffix[64];
    std::snprintf(suffix, sizeof suffix, ".tmp.%d.%016llx", static_cast<int>(::getpid()),
                  static_cast<unsigned long long>(rng()));
    return final_path + suffix;
}

bool is_temp_name(const std::string &name) {
    return name.find(".tmp.") != std::string::npos;
}

AtomicFile::AtomicFile(std::string final_path, mode_t mode)
    : final_(std::move(final_path)), temp_(temp_name_for(final_)) {
    fd_ = open_file(temp_, O_WRONLY | O_CREAT | O_EXCL, mode);
}

AtomicFile::~AtomicFile() {
    if (!committed_) {
        fd_ = Fd();
        ::unlink(temp_.c_str());
    }
}

void AtomicFile::commit(bool durable) {
    if (durable)
        fsync_fd(fd_.get(), temp_);
    fd_.close(temp_);
    if (::rename(temp_.c_str(), final_.c_str()) != 0)
        throw_errno("could not rename \"" + temp_ + "\" to \"" + final_ + "\"");
    committed_ = true;
    if (durable)
        fsync_dir(dirname(final_));
}

bool AtomicFile::commit_if_absent(bool durable) {
    if (durable)
        fsync_fd(fd_.get(), temp_);
    fd_.close(temp_);
    if (::link(temp_.c_str(), final_.c_str()) != 0) {
        if (errno == EEXIST)
            return false; // the destructor removes the temporary file
        throw_errno("could not link \"" + temp_ + "\" to \"" + final_ + "\"");
    }
    ::unlink(temp_.c_str());
    committed_ = true;
    if (durable)
        fsync_dir(dirname(final_));
    return true;
}

bool write_file_if_absent(const std::string &path, const void *data, size_t len) {
    AtomicFile f(path);
    f.write(data, len);
    return f.commit_if_absent(true);
}

void write_file_atomic(const std::string &path, const void *data, size_t len, bool durable) {
    AtomicFile f(path);
    f.write(data, len);
    f.commit(durable);
}

} // namespace safekeep::posix
