// The repository's keys for EncryptedStorage: a Keyring unlocked with the
// passphrase in a file, read each time a stanza is unlocked.
#pragma once

#include "storage/key_scope.h"

#include <string>
#include <utility>

namespace safekeep {

class PassphraseKeyScope : public KeyScope {
  public:
    explicit PassphraseKeyScope(std::string passphrase_file)
        : passphrase_file_(std::move(passphrase_file)) {}

    nlohmann::json new_cipher_section() const override;
    std::unique_ptr<StanzaKeys> unlock(const nlohmann::json &section) const override;
    Key256 new_data_key() const override;

  private:
    std::string passphrase_file_;
};

} // namespace safekeep
