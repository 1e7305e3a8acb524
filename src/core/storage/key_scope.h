// The keys EncryptedStorage encrypts with, without knowing how they are kept:
// the repository's keyring provides them (repo/passphrase_key_scope.h).
#pragma once

#include "io/aes_gcm.h"

#include <memory>
#include <nlohmann/json.hpp>
#include <string>

namespace safekeep {

// One stanza's unlocked keys.
class StanzaKeys {
  public:
    virtual ~StanzaKeys() = default;
    // A key held in the stanza's cipher section ("wal").
    virtual Key256 data_key(const std::string &name) const = 0;
    // A data key kept outside the section, bound to name.
    virtual std::string wrap(const std::string &name, const Key256 &key) const = 0;
    // Throws CorruptData if wrapped does not unwrap under name.
    virtual Key256 unwrap(const std::string &name, const std::string &wrapped) const = 0;
};

// Where the stanzas' keys come from.
class KeyScope {
  public:
    virtual ~KeyScope() = default;
    // The "cipher" section of a new repo.json.
    virtual nlohmann::json new_cipher_section() const = 0;
    // Unlocks the keys of a stanza's cipher section; throws Error when it cannot.
    virtual std::unique_ptr<StanzaKeys> unlock(const nlohmann::json &section) const = 0;
    // A new random data key (a new backup's).
    virtual Key256 new_data_key() const = 0;
};

} // namespace safekeep
