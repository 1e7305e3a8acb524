// POSIX file system helpers: RAII descriptors, full reads/writes, durable
// directory creation and atomic durable writes (temp + fsync + rename + fsync dir).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <sys/types.h>
#include <vector>

namespace safekeep::posix {

class Fd {
  public:
    Fd() = default;
    explicit Fd(int fd) : fd_(fd) {}
    ~Fd();
    Fd(Fd &&o) noexcept : fd_(o.fd_) { o.fd_ = -1; }
    Fd &operator=(Fd &&o) noexcept;
    Fd(const Fd &) = delete;
    Fd &operator=(const Fd &) = delete;
    int get() const { return fd_; }
    bool valid() const { return fd_ >= 0; }
    // Closes and reports close() errors (which can mean lost writes on NFS).
    void close(const std::string &path);

  private:
    int fd_ = -1;
};

std::string join(const std::string &a, const std::string &b);
std::string dirname(const std::string &path);
std::string basename(const std::string &path);

// open(2) with EINTR retry; throws naming path.
Fd open_file(const std::string &path, int flags, mode_t mode = 0);
// Like open_file but returns an invalid Fd on ENOENT.
Fd open_if_exists(const std::string &path, int flags);

// Reads up to len bytes, retrying short reads until len or EOF. Returns bytes read.
size_t read_full(int fd, void *buf, size_t len, const std::string &path);
void write_all(int fd, const void *buf, size_t len, const std::string &path);
void fsync_fd(int fd, const std::string &path);
void fsync_dir(const std::string &path);
// syncfs(2) on the file system holding path.
void syncfs_path(const std::string &path);

bool exists(const std::string &path); // lstat succeeds
bool is_dir(const std::string &path); // stat (follows links)
bool is_empty_dir(const std::string &path);

// mkdir one level; if durable, fsyncs the parent so the new entry survives a
// crash. An existing directory is fine.
void make_dir(const std::string &path, mode_t mode, bool durable = true);
// mkdir -p; if durable, each level created is fsynced into its parent.
void make_dirs(const std::string &path, mode_t mode, bool durable = true);

struct DirEntry {
    std::string name;
    unsigned char type; // d_type (DT_UNKNOWN possible)
};
// Entries except . and ..; throws naming path.
std::vector<DirEntry> list_dir(const std::string &path);
// Like list_dir but empty when the directory does not exist.
std::vector<DirEntry> list_dir_if_exists(const std::string &path);

// rm -rf; missing path is fine.
void remove_tree(const std::string &path);

std::string read_file(const std::string &path);

// A whole file mapped read-only (pre-faulted): no copy, no zero-filled buffer.
class MappedFile {
  public:
    explicit MappedFile(const std::string &path);
    ~MappedFile();
    MappedFile(const MappedFile &) = delete;
    MappedFile &operator=(const MappedFile &) = delete;
    const uint8_t *data() const { return static_cast<const uint8_t *>(addr_); }
    size_t size() const { return size_; }

  private:
    void *addr_ = nullptr;
    size_t size_ = 0;
};

// Writes a new file under a temporary name in the destination directory;
// commit() makes it appear atomically under the final name. Destroying it
// uncommitted removes the temp file, so failures replace nothing.
class AtomicFile {
  public:
    explicit AtomicFile(std::string final_path, mode_t mode = 0640);
    ~AtomicFile();
    AtomicFile(const AtomicFile &) = delete;
    AtomicFile &operator=(const AtomicFile &) = delete;

    int fd() const { return fd_.get(); }
    const std::string &temp_path() const { return temp_; }
    const std::string &final_path() const { return final_; }
    void write(const void *data, size_t len) { write_all(fd_.get(), data, len, temp_); }
    // durable: fsync the file before and the directory after the rename.
    void commit(bool durable = true);
    // commit() unless final_path exists: link(2), not rename(2), so of two
    // processes creating the same file exactly one wins. False: it existed.
    bool commit_if_absent(bool durable = true);

  private:
    std::string final_;
    std::string temp_;
    Fd fd_;
    bool committed_ = false;
};

void write_file_atomic(const std::string &path, const void *data, size_t len, bool durable = true);
// write_file_atomic unless path exists (false then; the file is unchanged).
bool write_file_if_absent(const std::string &path, const void *data, size_t len);

// A unique temporary name beside final_path ("<final>.tmp.<pid>.<random>").
std::string temp_name_for(const std::string &final_path);
// True for names temp_name_for() makes: half-written files that readers skip.
bool is_temp_name(const std::string &name);

} // namespace safekeep::posix
