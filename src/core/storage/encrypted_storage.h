// Encryption at rest: a Storage that encrypts every object it writes with
// AES-256-GCM and authenticates every object it reads. repo.json stays plain
// (it holds the key check, the wrapped master key and the WAL key); every other
// object is encrypted under a data key: one, "wal", for the archive and one per
// backup (and logical backup) label, kept wrapped in <label dir>/data.key, so
// removing a backup's directory removes its key too.
#pragma once

#include "storage/forwarding_storage.h"
#include "storage/key_scope.h"

#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>

namespace safekeep {

// The object beside a backup's data that holds its wrapped data key.
inline constexpr char kDataKeyObject[] = "data.key";

class EncryptedStorage : public ForwardingStorage {
  public:
    // keys unlocks each stanza's keys when the stanza is first used.
    EncryptedStorage(std::shared_ptr<Storage> inner, std::shared_ptr<const KeyScope> keys);

    // The "cipher" section of a new repo.json: fresh salt, key check, WAL key.
    nlohmann::json new_cipher_section() const;
    // Unlocks the stanza's keyring now (a wrong passphrase fails before anything is written).
    void unlock(const std::string &stanza);

    std::string read(const std::string &key) override;
    void read_to(const std::string &key, Sink &sink) override;
    void write(const std::string &key, const void *data, size_t len) override;
    bool write_if_absent(const std::string &key, const void *data, size_t len) override;
    std::unique_ptr<ObjectWriter> create(const std::string &key) override;
    uint64_t physical_size(uint64_t logical_size) const override;

  private:
    struct Stanza {
        std::unique_ptr<StanzaKeys> keyring;
        std::map<std::string, Key256> keys; // unwrapped, by the directory they protect
    };
    // The data key for an object key; creates (and stores) it for a new
    // backup when create is set. false: the object is stored plain (repo.json,
    // data.key).
    bool key_for(const std::string &key, Key256 &out, bool create);
    // A backup's key from dir/data.key, or a new one written there when create is set.
    Key256 label_key(const StanzaKeys &ring, const std::string &dir, const std::string &name,
                     bool create);
    Stanza &stanza_locked(const std::string &stanza);

    std::shared_ptr<const KeyScope> keys_;
    std::mutex mu_;
    std::map<std::string, Stanza> stanzas_;
};

} // namespace safekeep
