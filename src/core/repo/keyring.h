// Repository key hierarchy: passphrase -> repository key -> master key -> data keys.
//
// The "cipher" section of repo.json:
//   {
//     "format": 2,
//     "algorithm": "aes-256-gcm",
//     "kdf": {"name": "scrypt", "salt": "<32 hex>", "N": 32768, "r": 8, "p": 1},
//     "key_check": "<64 hex>",
//     "master_key": "<120 hex>",
//     "keys": {"wal": "<120 hex>"}
//   }
// repository key = scrypt(passphrase, salt, N, r, p), 32 bytes. It encrypts nothing itself:
//   key_check    = HMAC-SHA256(repository key, "pg_safekeep key check")
//   wrapping key = HMAC-SHA256(repository key, "pg_safekeep key wrap")
//   master_key   = wrap(wrapping key, "master", random master key)
// wrap(k, name, key) = hex(nonce[12] || AES-256-GCM(k, nonce, AAD = name, key)[32] || tag[16]),
// nonce random, so a wrapped key only unwraps under its own name.
//
// Data keys are random and wrapped by the master key: the WAL archive's in the
// section ("keys.wal"), each backup's in a small object beside its data (see
// EncryptedStorage). Rotation (rekey) only re-wraps the master key under a new salt
// and passphrase, one write of repo.json; a backup adding its key never writes
// repo.json, so the two cannot lose each other's update, and retention removing a
// backup's directory removes its key with it.
#pragma once

#include "io/aes_gcm.h"
#include "storage/key_scope.h"

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

// A new cipher section: fresh salt, kdf parameters, key check, master key and a
// "wal" data key.
nlohmann::json keyring_create(const std::string &passphrase, const KdfParams &kdf = {});

// A new random data key.
Key256 random_data_key();

class Keyring : public StanzaKeys {
  public:
    // Derives the repository key, checks it and unwraps the master key; throws
    // Error("wrong passphrase for repository (key check failed)") on a wrong passphrase,
    // CorruptData if the master key does not unwrap, Error on a malformed section.
    Keyring(const nlohmann::json &section, const std::string &passphrase);
    ~Keyring() override;
    Keyring(const Keyring &) = delete;
    Keyring &operator=(const Keyring &) = delete;

    // A key held in the section ("wal"). Throws NotFound naming the key if absent,
    // CorruptData if it does not unwrap.
    Key256 data_key(const std::string &name) const override;
    bool has(const std::string &name) const;
    // A data key kept outside the section, wrapped by the master key and bound to name.
    std::string wrap(const std::string &name, const Key256 &key) const override;
    // Throws CorruptData naming the key if it does not unwrap (wrong name, tampered).
    Key256 unwrap(const std::string &name, const std::string &wrapped) const override;
    // A new section for new_passphrase (new salt) holding the same master key, so
    // every data key, in the section or not, stays valid.
    nlohmann::json rekey(const std::string &new_passphrase, const KdfParams &kdf = {}) const;

  private:
    nlohmann::json section_;
    Key256 master_;
};

} // namespace safekeep
