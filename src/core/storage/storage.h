// A repository's storage: objects named by '/'-separated keys relative to the
// storage root. A posix directory and an S3 bucket (+ prefix) implement it, and
// the encryption layer and the fan-out to several repositories wrap it, so the
// backup, restore, verify and archive code never knows where bytes live.
#pragma once

#include "io/sink.h"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace safekeep {

struct StoredObject {
    std::string key; // relative to the prefix that was listed
    uint64_t size = 0;
    double mtime = 0; // Unix time the object was written, sub-second where known (0: unknown)
};

// A streamed object under construction. Nothing is visible under its key until
// commit(); destroying it uncommitted discards what was written.
class ObjectWriter : public Sink {
  public:
    // Makes the object appear under its key. Durability of streamed objects
    // comes from Storage::sync() (posix) or is immediate (S3).
    virtual void commit() = 0;
    // Bytes written to storage so far.
    virtual uint64_t bytes() const = 0;
};

class Storage {
  public:
    virtual ~Storage() = default;

    // "posix" or "s3": the kind of medium, for 3-2-1 accounting.
    virtual std::string kind() const = 0;
    // Human-readable location of key, for messages ("/repo/x", "s3://b/p/x").
    virtual std::string url(const std::string &key) const = 0;

    virtual bool exists(const std::string &key) = 0;
    // Whole object; throws NotFound naming the object when absent.
    virtual std::string read(const std::string &key) = 0;
    // Streams the object into sink (without calling sink.finish()); NotFound when absent.
    virtual void read_to(const std::string &key, Sink &sink) = 0;
    // Atomic and durable: after return the object survives a crash, whole.
    virtual void write(const std::string &key, const void *data, size_t len) = 0;
    // write() only if key does not exist yet; false (nothing written) when it
    // does. Exclusive where the store can make it so (a directory: link(2);
    // S3: If-None-Match: *), so of two creators exactly one wins; this
    // default only checks first.
    virtual bool write_if_absent(const std::string &key, const void *data, size_t len);
    virtual std::unique_ptr<ObjectWriter> create(const std::string &key) = 0;
    // Makes every object committed under prefix durable (one syncfs on posix).
    virtual void sync(const std::string &prefix) = 0;

    // Names directly under prefix ("dir" style: an object a/b/c lists "b" under "a").
    virtual std::vector<std::string> children(const std::string &prefix) = 0;
    // Every object under prefix, recursively, keys relative to prefix, sorted.
    virtual std::vector<StoredObject> list(const std::string &prefix) = 0;
    // Missing objects are fine.
    virtual void remove(const std::vector<std::string> &keys) = 0;
    virtual void remove_tree(const std::string &prefix) = 0;
    // Bytes an object occupies in this storage when the manifest records
    // logical_size stored bytes (encryption adds a header and tags).
    virtual uint64_t physical_size(uint64_t logical_size) const { return logical_size; }
    // Claims a fresh name for a backup: false when prefix already holds
    // something. On posix a mkdir (so two writers never share a label); object
    // stores have no directories, and the job queue runs one backup at a time.
    virtual bool claim(const std::string &prefix) = 0;
};

// "a" + "b" -> "a/b"; either side may be empty.
std::string key_join(const std::string &a, const std::string &b);
// The last component of a key ("a/b/c" -> "c").
std::string key_basename(const std::string &key);

} // namespace safekeep
