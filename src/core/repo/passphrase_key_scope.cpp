#include "repo/passphrase_key_scope.h"

#include "repo/keyring.h"

namespace safekeep {

nlohmann::json PassphraseKeyScope::new_cipher_section() const {
    return keyring_create(read_passphrase_file(passphrase_file_));
}

std::unique_ptr<StanzaKeys> PassphraseKeyScope::unlock(const nlohmann::json &section) const {
    return std::make_unique<Keyring>(section, read_passphrase_file(passphrase_file_));
}

Key256 PassphraseKeyScope::new_data_key() const {
    return random_data_key();
}

} // namespace safekeep
