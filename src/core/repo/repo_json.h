// repo.json: identifies the cluster a stanza belongs to.
#pragma once

#include "repo/layout.h"

#include <cstdint>

namespace safekeep {

// Creates the stanza directory and repo.json on first use; afterwards checks
// that the system identifier matches.
void ensure_repo_json(const RepoLayout &repo, uint64_t system_id, int pg_version);

} // namespace safekeep
