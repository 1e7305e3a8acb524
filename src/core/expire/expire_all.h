// One expire run over a repository: physical retention (repo/retention.h),
// then logical retention (logical/expire.h), reported as one plan.
#pragma once

#include "repo/config.h"

#include <string>

namespace safekeep {

// policy_json: expire_repository's policy plus an optional
// "logical": {"count": N, "days": D} (parse_logical_retention; absent: its
// defaults). Both policies are checked before anything is removed. Returns
// expire_repository's plan with the logical decisions appended to
// "backups" (type "logical") and
// "logical": {"count", "days", "removed_count", "removed_bytes"}.
std::string expire_all(const Config &cfg, const std::string &policy_json, bool dry_run);

} // namespace safekeep
