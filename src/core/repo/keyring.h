// Repository key hierarchy: passphrase -> repository key -> wrapped data keys.
//
// The "cipher" section of repo.json:
//   {
//     "format": 1,
//     "algorithm": "aes-256-gcm",
//     "kdf": {"name": "scrypt", "salt": "<32 hex>", "N": 32768, "r": 8, "p": 1},
//     "key_check": "<64 hex>",
//     "keys": {"wal": "<120 hex>", "<backup label>": "<120 hex>", ...}
//   }
// repository key = scrypt(passphrase, salt, N, r, p), 32 bytes. It encrypts nothing itself:
//   key_check    = HMAC-SHA256(repository key, "pg_safekeep key check")
//   wrapping key = HMAC-SHA256(repository key, "pg_safekeep key wrap")
// keys[name] = hex(nonce[12] || AES-256-GCM(wrapping key, nonce, AAD = name, data key)[32]
//                  || tag[16]), nonce random.
// Data keys are random and never depend on the passphrase, so rotation (rekey) only
// re-wraps them under a new salt and passphrase: repo.json changes, the data does not.
#pragma once

#include "io/aes_gcm.h"

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

namespace safekeep {

struct KdfParams {
    std::string name = "scrypt";
    uint64_t N = 1u << 15;
    uint32_t r = 8, p = 1;
};

// The passphrase in a file (secrets never go on a command line). Strips one
// trailing newline. Throws Error naming the file if it is missing, empty, or
// accessible by group or others.
std::string read_passphrase_file(const std::string &path);

// A new cipher section: fresh salt, kdf parameters, key check and a "wal" data key.
nlohmann::json keyring_create(const std::string &passphrase, const KdfParams &kdf = {});

class Keyring {
  public:
    // Derives the repository key and checks it; throws Error("wrong passphrase for
    // repository (key check failed)") on a wrong passphrase, Error on a malformed section.
    Keyring(const nlohmann::json &section, const std::string &passphrase);
    ~Keyring();
    Keyring(const Keyring &) = delete;
    Keyring &operator=(const Keyring &) = delete;

    // Throws NotFound naming the key if absent, CorruptData if it does not unwrap.
    Key256 data_key(const std::string &name) const;
    bool has(const std::string &name) const;
    // Creates and wraps a new random key; throws Error if name exists.
    Key256 add_data_key(const std::string &name);
    // Forgets a key (retention); data under it becomes unreadable. No-op if absent.
    void remove_data_key(const std::string &name);
    // The section to store back in repo.json.
    nlohmann::json section() const { return section_; }
    // A new section with the same data keys wrapped under new_passphrase (new salt).
    nlohmann::json rekey(const std::string &new_passphrase, const KdfParams &kdf = {}) const;

  private:
    nlohmann::json section_;
    Key256 wrap_key_;
};

} // namespace safekeep
