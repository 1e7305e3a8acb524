#include "storage/posix_storage.h"

#include "io/direct_sink.h"
#include "os/files.h"
#include "util/error.h"

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace safekeep {

namespace {

constexpr size_t kReadBuffer = 1 << 20;
constexpr size_t kDirectWriteMin = 256 << 10;

// Written under a temporary name with O_DIRECT (restores and backups move
// gigabytes; the page cache would only slow them down), renamed on commit.
class PosixWriter : public ObjectWriter {
  public:
    explicit PosixWriter(std::string final_path)
        : final_(std::move(final_path)), temp_(posix::temp_name_for(final_)), sink_(temp_, 0640) {}
    ~PosixWriter() override {
        if (!committed_)
            ::unlink(temp_.c_str());
    }
    void write(const uint8_t *data, size_t len) override { sink_.write(data, len); }
    void finish() override { sink_.finish(); }
    void commit() override { commit(false); }
    // durable: fsync the file before and its directory after the rename
    // (streamed backup objects are synced together by Storage::sync instead).
    void commit(bool durable) {
        if (durable)
            posix::fsync_fd(sink_.fd(), temp_);
        sink_.close();
        if (::rename(temp_.c_str(), final_.c_str()) != 0)
            throw_errno("could not rename \"" + temp_ + "\" to \"" + final_ + "\"");
        committed_ = true;
        if (durable)
            posix::fsync_dir(posix::dirname(final_));
    }
    uint64_t bytes() const override { return sink_.bytes(); }

  private:
    std::string final_, temp_;
    DirectFileSink sink_;
    bool committed_ = false;
};

// Creates the missing directories above path. durable: each new entry is
// fsynced (objects written with write()); streamed objects are made durable
// together by sync(), which covers their directories too.
void ensure_parent(const std::string &path, bool durable = true) {
    posix::make_dirs(posix::dirname(path), 0750, durable);
}

void walk(const std::string &dir, const std::string &rel, std::vector<StoredObject> &out) {
    for (const auto &e : posix::list_dir_if_exists(dir)) {
        if (posix::is_temp_name(e.name))
            continue;
        std::string abs = posix::join(dir, e.name);
        std::string key = key_join(rel, e.name);
        struct stat st;
        if (::lstat(abs.c_str(), &st) != 0)
            continue; // removed meanwhile
        if (S_ISDIR(st.st_mode))
            walk(abs, key, out);
        else if (S_ISREG(st.st_mode))
            out.push_back({key, static_cast<uint64_t>(st.st_size),
                           static_cast<double>(st.st_mtim.tv_sec) + st.st_mtim.tv_nsec / 1e9});
    }
}

// A writer that died mid-write (an archiver, its push-ahead threads) leaves
// "<object>.tmp.<pid>.<random>" behind. Remove those in the directory of
// final_path left by processes that no longer exist; never touch a live
// process's.
void remove_stale_temp_files(const std::string &final_path) {
    const std::string dir = posix::dirname(final_path);
    for (const auto &e : posix::list_dir_if_exists(dir)) {
        size_t at = e.name.rfind(".tmp.");
        if (at == std::string::npos)
            continue;
        int pid = std::atoi(e.name.c_str() + at + 5);
        if (pid <= 0 || pid == ::getpid() || ::kill(pid, 0) == 0 || errno != ESRCH)
            continue;
        ::unlink(posix::join(dir, e.name).c_str());
    }
}

} // namespace

PosixStorage::PosixStorage(std::string root) : root_(std::move(root)) {}

std::string PosixStorage::path(const std::string &key) const {
    return key.empty() ? root_ : posix::join(root_, key);
}

std::string PosixStorage::url(const std::string &key) const {
    return path(key);
}

bool PosixStorage::exists(const std::string &key) {
    return posix::exists(path(key));
}

std::string PosixStorage::read(const std::string &key) {
    if (!exists(key))
        throw NotFound("\"" + path(key) + "\" does not exist");
    return posix::read_file(path(key));
}

void PosixStorage::read_to(const std::string &key, Sink &sink) {
    const std::string p = path(key);
    posix::Fd in = posix::open_if_exists(p, O_RDONLY | O_CLOEXEC);
    if (!in.valid())
        throw NotFound("\"" + p + "\" does not exist");
    ::posix_fadvise(in.get(), 0, 0, POSIX_FADV_SEQUENTIAL);
    thread_local std::vector<uint8_t> buf(kReadBuffer);
    for (;;) {
        size_t n = posix::read_full(in.get(), buf.data(), buf.size(), p);
        if (n == 0)
            break;
        sink.write(buf.data(), n);
        if (n < buf.size())
            break;
    }
}

void PosixStorage::write(const std::string &key, const void *data, size_t len) {
    const std::string p = path(key);
    ensure_parent(p);
    remove_stale_temp_files(p);
    if (len < kDirectWriteMin) {
        posix::write_file_atomic(p, data, len, true);
        return;
    }
    // Large objects (WAL segments) skip the page cache: copying into it costs
    // the archiver more CPU than the write itself, and fsync has less to flush.
    PosixWriter w(p);
    w.write(static_cast<const uint8_t *>(data), len);
    w.finish();
    w.commit(true);
}

bool PosixStorage::write_if_absent(const std::string &key, const void *data, size_t len) {
    const std::string p = path(key);
    ensure_parent(p);
    remove_stale_temp_files(p);
    return posix::write_file_if_absent(p, data, len);
}

std::unique_ptr<ObjectWriter> PosixStorage::create(const std::string &key) {
    const std::string p = path(key);
    ensure_parent(p, false);
    return std::make_unique<PosixWriter>(p);
}

void PosixStorage::sync(const std::string &prefix) {
    std::string p = path(prefix);
    posix::syncfs_path(posix::exists(p) ? p : root_);
}

std::vector<std::string> PosixStorage::children(const std::string &prefix) {
    std::vector<std::string> out;
    for (const auto &e : posix::list_dir_if_exists(path(prefix)))
        if (!posix::is_temp_name(e.name))
            out.push_back(e.name);
    std::sort(out.begin(), out.end());
    return out;
}

std::vector<StoredObject> PosixStorage::list(const std::string &prefix) {
    std::vector<StoredObject> out;
    walk(path(prefix), "", out);
    std::sort(out.begin(), out.end(),
              [](const StoredObject &a, const StoredObject &b) { return a.key < b.key; });
    return out;
}

void PosixStorage::remove(const std::vector<std::string> &keys) {
    std::vector<std::string> dirs;
    for (const auto &k : keys) {
        std::string p = path(k);
        if (::unlink(p.c_str()) != 0 && errno != ENOENT)
            throw_errno("could not remove \"" + p + "\"");
        dirs.push_back(posix::dirname(p));
    }
    std::sort(dirs.begin(), dirs.end());
    dirs.erase(std::unique(dirs.begin(), dirs.end()), dirs.end());
    for (const auto &d : dirs)
        if (posix::is_dir(d))
            posix::fsync_dir(d);
}

void PosixStorage::remove_tree(const std::string &prefix) {
    std::string p = path(prefix);
    if (!posix::exists(p))
        return;
    posix::remove_tree(p);
    posix::fsync_dir(posix::dirname(p));
}

bool PosixStorage::claim(const std::string &prefix) {
    std::string p = path(prefix);
    ensure_parent(p);
    if (::mkdir(p.c_str(), 0750) != 0) {
        if (errno == EEXIST)
            return false;
        throw_errno("could not create directory \"" + p + "\"");
    }
    posix::fsync_dir(posix::dirname(p));
    return true;
}

} // namespace safekeep
