// Encryption at rest: a Storage that encrypts every object it writes with
// AES-256-GCM and authenticates every object it reads. repo.json stays plain
// (it holds the key check and the wrapped data keys); every other object is
// encrypted under a data key: one per backup label (and logical backup
// label) and one, "wal", for the archive.
#pragma once

#include "repo/keyring.h"
#include "storage/storage.h"

#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>

namespace safekeep {

class EncryptedStorage : public Storage {
  public:
    EncryptedStorage(std::shared_ptr<Storage> inner, std::string passphrase);

    // The "cipher" section of a new repo.json: fresh salt, key check, WAL key.
    nlohmann::json new_cipher_section() const;
    // Unlocks the stanza's keyring now (a wrong passphrase fails before anything is written).
    void unlock(const std::string &stanza);

    std::string kind() const override { return inner_->kind(); }
    std::string url(const std::string &key) const override { return inner_->url(key); }
    bool exists(const std::string &key) override { return inner_->exists(key); }
    std::string read(const std::string &key) override;
    void read_to(const std::string &key, Sink &sink) override;
    void write(const std::string &key, const void *data, size_t len) override;
    std::unique_ptr<ObjectWriter> create(const std::string &key) override;
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

  private:
    struct Stanza {
        std::unique_ptr<Keyring> keyring;
        std::map<std::string, Key256> keys; // unwrapped, by name
    };
    // The data key for an object key; creates (and stores) it for a new backup.
    // Empty optional: the object is stored plain (repo.json).
    bool key_for(const std::string &key, Key256 &out, bool create);
    Stanza &stanza_locked(const std::string &stanza);

    std::shared_ptr<Storage> inner_;
    std::string passphrase_;
    std::mutex mu_;
    std::map<std::string, Stanza> stanzas_;
};

} // namespace safekeep
