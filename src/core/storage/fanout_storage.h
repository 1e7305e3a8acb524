// Several repositories at once (3-2-1): writes go to every member, reads come
// from the first live one. A member that cannot be opened, or fails while a
// backup is written, is dropped for the rest of that backup and its error
// kept, so one dead repository does not fail the backup in the others; the
// backup then records per repository whether it landed. Only when every
// member failed does a write throw. Cancellation is never a member's fault:
// it propagates.
#pragma once

#include "storage/storage.h"

#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace safekeep {

class FanoutStorage : public Storage {
  public:
    struct Member {
        int number;                     // repository number (safekeep.repoN_*)
        std::shared_ptr<Storage> store; // null when it could not be opened
        std::string error;              // why it was dropped; empty while it is live
        std::string kind;               // posix | s3 (known even when it could not be opened)
    };

    // Members that come with an error are dropped from the start; at least
    // one must be live.
    explicit FanoutStorage(std::vector<Member> members);

    // Members in order, with the error of each dropped one.
    std::vector<Member> members() const;

    std::string kind() const override;
    std::string url(const std::string &key) const override;
    bool exists(const std::string &key) override { return first().exists(key); }
    std::string read(const std::string &key) override { return first().read(key); }
    void read_to(const std::string &key, Sink &sink) override { first().read_to(key, sink); }
    void write(const std::string &key, const void *data, size_t len) override;
    std::unique_ptr<ObjectWriter> create(const std::string &key) override;
    void sync(const std::string &prefix) override;
    std::vector<std::string> children(const std::string &prefix) override {
        return first().children(prefix);
    }
    std::vector<StoredObject> list(const std::string &prefix) override {
        return first().list(prefix);
    }
    void remove(const std::vector<std::string> &keys) override;
    void remove_tree(const std::string &prefix) override;
    bool claim(const std::string &prefix) override;
    uint64_t physical_size(uint64_t logical_size) const override;

    // Drops member i (index into members) with the error; throws when none is left.
    void drop(size_t i, const std::string &error);
    bool live(size_t i) const;

  private:
    Storage &first();
    const Storage &opened() const; // mu_ held
    // Runs fn on every live member; a member that throws is dropped.
    template <typename Fn> void each(Fn fn);

    mutable std::mutex mu_;
    std::vector<Member> members_;
};

} // namespace safekeep
