// The JSON description of a repository that sk_repo_info_json returns.
#pragma once

#include "repo/config.h"

#include <string>

namespace safekeep {

std::string repo_info_json(const Config &cfg, bool with_wal);

} // namespace safekeep
