// Storage in an S3 bucket (+ key prefix). A single PUT or a completed
// multipart upload is atomic, and S3 acknowledges a PUT only once the object
// is durable, so sync() has nothing to do.
#pragma once

#include "storage/s3/client.h"
#include "storage/storage.h"

#include <memory>

namespace safekeep {

class S3Storage : public Storage {
  public:
    explicit S3Storage(s3::Settings settings);

    std::string kind() const override { return "s3"; }
    std::string url(const std::string &key) const override;
    bool exists(const std::string &key) override;
    std::string read(const std::string &key) override;
    void read_to(const std::string &key, Sink &sink) override;
    void write(const std::string &key, const void *data, size_t len) override;
    bool write_if_absent(const std::string &key, const void *data, size_t len) override;
    std::unique_ptr<ObjectWriter> create(const std::string &key) override;
    void sync(const std::string &) override {}
    std::vector<std::string> children(const std::string &prefix) override;
    std::vector<StoredObject> list(const std::string &prefix) override;
    void remove(const std::vector<std::string> &keys) override;
    void remove_tree(const std::string &prefix) override;
    bool claim(const std::string &prefix) override;

    s3::Client &client() { return client_; }

  private:
    s3::Client client_;
};

} // namespace safekeep
