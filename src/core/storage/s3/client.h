// S3 object-storage client: PUT (single or multipart, parallel parts), GET
// (whole or streamed), HEAD, ListObjectsV2, DeleteObjects, streaming uploads.
// Signs with SigV4; retries 5xx, 429, timeouts and connection errors with
// exponential backoff and jitter; never retries other 4xx.
#pragma once

#include "io/sink.h"
#include "storage/s3/settings.h"

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace safekeep::s3 {

struct ObjectInfo {
    std::string key; // relative to Settings::prefix
    uint64_t size = 0;
    double mtime = 0; // LastModified, Unix seconds (0: unknown)
};

// One level of a listing: what a directory listing would show.
struct Level {
    std::vector<ObjectInfo> objects;   // directly under the prefix, sorted by key
    std::vector<std::string> prefixes; // "prefix + name/" for each deeper name, sorted
};

class Transport;
struct ListPage;

// Thread-safe: any number of threads may call one Client at once. Neither
// copyable nor movable (hold it in a unique_ptr to pass it around).
class Client {
  public:
    explicit Client(Settings s);
    ~Client();
    Client(const Client &) = delete;
    Client &operator=(const Client &) = delete;
    const Settings &settings() const;

    // Single PUT when len <= part_size, else multipart (parts in parallel,
    // aborted on failure).
    void put(const std::string &key, const uint8_t *data, size_t len);
    // PUT with If-None-Match: * (AWS, radosgw): false when the key exists
    // (412). A server that ignores the header overwrites, as put() does.
    bool put_if_absent(const std::string &key, const uint8_t *data, size_t len);
    // Throws NotFound for 404 NoSuchKey.
    std::vector<uint8_t> get(const std::string &key);
    // Streams the body into sink (sink.finish() is left to the caller). A
    // transfer cut off half-way resumes with a Range request. Throws NotFound.
    void get_to(const std::string &key, Sink &sink);
    // Size, or nullopt when absent (a missing bucket also answers 404 to a
    // HEAD, without a body to tell them apart).
    std::optional<uint64_t> head(const std::string &key);
    // Every object under prefix (relative to Settings::prefix; "" = all),
    // all pages, sorted by key.
    std::vector<ObjectInfo> list(const std::string &prefix);
    // One level under prefix (delimiter '/'), all pages: the objects there
    // and the names below which deeper objects lie, without listing those.
    Level list_level(const std::string &prefix);
    // Whether any object's key starts with prefix: a single one-key request.
    bool any(const std::string &prefix);
    // DeleteObjects in batches of 1000; absent keys are fine; per-key errors throw.
    void remove(const std::vector<std::string> &keys);
    // Streaming upload: buffers part_size bytes, uploads parts on
    // upload_threads threads; at most upload_threads+1 parts in memory.
    // finish() completes it (a single PUT if it never exceeded one part);
    // destroying it unfinished aborts the multipart upload. It must not
    // outlive this Client. S3 allows 10000 parts: objects up to
    // 10000 * part_size bytes.
    std::unique_ptr<Sink> open_upload(const std::string &key);

    // Test/setup helper: creates the bucket (PUT bucket); one that already
    // exists and that we can read is fine.
    void create_bucket();

    // "s3://bucket/prefix/key" of a relative key, for messages.
    std::string url_of(const std::string &key) const;
    // The key inside the bucket: prefix + "/" + key.
    std::string full_key(const std::string &key) const;

  private:
    // ListObjectsV2 pages under prefix, keys and prefixes made relative,
    // until each returns false or the listing ends. max_keys 0: the page
    // size from Settings.
    void list_pages(const std::string &prefix, const std::string &delimiter, int max_keys,
                    const std::function<bool(ListPage &)> &each);

    Settings s_;
    std::unique_ptr<Transport> t_;
};

} // namespace safekeep::s3
