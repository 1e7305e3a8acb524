// Storage in a local directory (or any mounted file system).
#pragma once

#include "storage/storage.h"

namespace safekeep {

class PosixStorage : public Storage {
  public:
    // root must be an existing, writable directory (checked by the caller).
    explicit PosixStorage(std::string root);

    std::string kind() const override { return "posix"; }
    std::string url(const std::string &key) const override;
    bool exists(const std::string &key) override;
    std::string read(const std::string &key) override;
    void read_to(const std::string &key, Sink &sink) override;
    void write(const std::string &key, const void *data, size_t len) override;
    bool write_if_absent(const std::string &key, const void *data, size_t len) override;
    std::unique_ptr<ObjectWriter> create(const std::string &key) override;
    void sync(const std::string &prefix) override;
    std::vector<std::string> children(const std::string &prefix) override;
    std::vector<StoredObject> list(const std::string &prefix) override;
    void remove(const std::vector<std::string> &keys) override;
    void remove_tree(const std::string &prefix) override;
    bool claim(const std::string &prefix) override;

    const std::string &root() const { return root_; }

  private:
    std::string path(const std::string &key) const;

    std::string root_;
};

} // namespace safekeep
