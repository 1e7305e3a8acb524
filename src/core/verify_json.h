// Verification results as JSON, where they leave the core: sk_verify_backup,
// sk_verify_everywhere and `pg_safekeep verify --output=json`.
#pragma once

#include "verify/verify_all.h"

#include <nlohmann/json.hpp>
#include <vector>

namespace safekeep {

// [{label, kind, object, detail}...]
nlohmann::json verify_problems_json(const std::vector<VerifyProblem> &problems);

// [{"repository", "outcome": "verified"|"not_found"|"unreadable", "error",
//   "checked": [label...], "problems": [as verify_problems_json]}]
nlohmann::json verify_results_json(const std::vector<RepositoryVerify> &results);

} // namespace safekeep
