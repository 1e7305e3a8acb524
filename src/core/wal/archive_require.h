// safekeep.archive_require: the repositories an archived WAL file must be
// durable in before the archive call succeeds ("" = every configured one).
#pragma once

#include "repo/config.h"

#include <set>
#include <string>

namespace safekeep {

// Repository numbers of a "1, 2" list; throws on anything but numbers
// 1..max_repos separated by commas (the setting's syntax check).
std::set<int> parse_repo_list(const std::string &text, int max_repos);

// The required repositories of cfg: every configured one when
// cfg.archive_require is empty. Throws when it names a repository that is
// not configured.
std::set<int> required_repos(const Config &cfg);

} // namespace safekeep
