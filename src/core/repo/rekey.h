// Key rotation: re-wraps an encrypted repository's data keys under a new
// passphrase. Only repo.json changes (one atomic write per stanza); no data
// object is rewritten, so every backup stays restorable with the new
// passphrase and the old one stops opening the repository.
#pragma once

#include "repo/config.h"

#include <string>

namespace safekeep {

// Returns the number of stanzas rekeyed. Throws before writing anything when
// the configured passphrase does not unlock every stanza.
int rekey_repository(const Config &cfg, int repo_number, const std::string &new_passphrase_file);

} // namespace safekeep
