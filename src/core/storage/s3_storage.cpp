#include "storage/s3_storage.h"

#include "util/error.h"

#include <algorithm>

namespace safekeep {

namespace {

// The upload completes (the object appears) on commit(), not when the
// filter chain finishes: a backup decides after the last byte whether the
// object counts.
class S3Writer : public ObjectWriter {
  public:
    explicit S3Writer(std::unique_ptr<Sink> upload) : upload_(std::move(upload)) {}
    void write(const uint8_t *data, size_t len) override {
        upload_->write(data, len);
        bytes_ += len;
    }
    void finish() override {}
    void commit() override { upload_->finish(); }
    uint64_t bytes() const override { return bytes_; }

  private:
    std::unique_ptr<Sink> upload_; // destroyed unfinished: the upload is aborted
    uint64_t bytes_ = 0;
};

std::string dir_prefix(const std::string &prefix) {
    return prefix.empty() ? prefix : prefix + "/";
}

} // namespace

S3Storage::S3Storage(s3::Settings settings) : client_(std::move(settings)) {}

std::string S3Storage::url(const std::string &key) const {
    return client_.url_of(key);
}

bool S3Storage::exists(const std::string &key) {
    return client_.head(key).has_value();
}

std::string S3Storage::read(const std::string &key) {
    std::vector<uint8_t> data = client_.get(key);
    return std::string(data.begin(), data.end());
}

void S3Storage::read_to(const std::string &key, Sink &sink) {
    client_.get_to(key, sink);
}

void S3Storage::write(const std::string &key, const void *data, size_t len) {
    client_.put(key, static_cast<const uint8_t *>(data), len);
}

bool S3Storage::write_if_absent(const std::string &key, const void *data, size_t len) {
    return client_.put_if_absent(key, static_cast<const uint8_t *>(data), len);
}

std::unique_ptr<ObjectWriter> S3Storage::create(const std::string &key) {
    return std::make_unique<S3Writer>(client_.open_upload(key));
}

std::vector<std::string> S3Storage::children(const std::string &prefix) {
    const std::string p = dir_prefix(prefix);
    s3::Level level = client_.list_level(p);
    std::vector<std::string> out;
    for (const auto &o : level.objects)
        out.push_back(o.key.substr(p.size()));
    for (const auto &d : level.prefixes)
        out.push_back(d.substr(p.size(), d.size() - p.size() - 1)); // without the '/'
    // "p/" itself (a folder marker some tools write) and "p//x" name nothing.
    out.erase(std::remove(out.begin(), out.end(), std::string()), out.end());
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
    return out;
}

std::vector<StoredObject> S3Storage::list(const std::string &prefix) {
    const std::string p = dir_prefix(prefix);
    std::vector<StoredObject> out;
    for (const auto &o : client_.list(p))
        out.push_back({o.key.substr(p.size()), o.size, o.mtime});
    return out;
}

void S3Storage::remove(const std::vector<std::string> &keys) {
    if (!keys.empty())
        client_.remove(keys);
}

void S3Storage::remove_tree(const std::string &prefix) {
    const std::string p = dir_prefix(prefix);
    std::vector<std::string> keys;
    for (const auto &o : client_.list(p))
        keys.push_back(o.key);
    remove(keys);
}

bool S3Storage::claim(const std::string &prefix) {
    return !client_.any(dir_prefix(prefix));
}

} // namespace safekeep
