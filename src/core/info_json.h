// The repository description (repo/info.h) as the JSON document that
// sk_repo_info_json returns and `pg_safekeep info --output=json` prints: JSON
// only where the data leaves the core.
#pragma once

#include "repo/info.h"

#include <nlohmann/json.hpp>

namespace safekeep {

// {"stanza", "repo_path", "backups", "damaged_backups", "expired_labels",
//  "logical_backups", "archive": {min, max, count, files}, "wal" (with_wal)};
// capi.h, sk_repo_info_json, describes the fields.
nlohmann::json repo_info_json(const RepoInfo &info, bool with_wal);

} // namespace safekeep
