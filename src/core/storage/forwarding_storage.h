// Base for Storage decorators (encryption, throttling): every call goes to
// the wrapped storage unless the decorator overrides it.
#pragma once

#include "storage/storage.h"

#include <memory>

namespace safekeep {

class ForwardingStorage : public Storage {
  public:
    explicit ForwardingStorage(std::shared_ptr<Storage> inner) : inner_(std::move(inner)) {}

    std::string kind() const override { return inner_->kind(); }
    std::string url(const std::string &key) const override { return inner_->url(key); }
    bool exists(const std::string &key) override { return inner_->exists(key); }
    std::string read(const std::string &key) override { return inner_->read(key); }
    void read_to(const std::string &key, Sink &sink) override { inner_->read_to(key, sink); }
    bool write_if_absent(const std::string &key, const void *data, size_t len) override {
        return inner_->write_if_absent(key, data, len);
    }
    void write(const std::string &key, const void *data, size_t len) override {
        inner_->write(key, data, len);
    }
    std::unique_ptr<ObjectWriter> create(const std::string &key) override {
        return inner_->create(key);
    }
    void sync(const std::string &prefix) override { inner_->sync(prefix); }
    std::vector<std::string> children(const std::string &prefix) override {
        return inner_->children(prefix);
    }
    std::vector<StoredObject> list(const std::string &prefix) override {
        return inner_->list(prefix);
    }
    void remove(const std::vector<std::string> &keys) override { inner_->remove(keys); }
    void remove_tree(const std::string &prefix) override { inner_->remove_tree(prefix); }
    bool claim(const std::string &prefix) override { return inner_->claim(prefix); }
    uint64_t physical_size(uint64_t logical_size) const override {
        return inner_->physical_size(logical_size);
    }

  protected:
    std::shared_ptr<Storage> inner_;
};

} // namespace safekeep
