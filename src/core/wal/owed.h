// WAL owed to a repository: a file archived while a repository that
// safekeep.archive_require does not list was down is marked
// <state_dir>/owed_wal/repo<N>/<wal name>; the catch-up pass copies it from a
// repository that has it once N is back, so no repository keeps a gap.
#pragma once

#include "repo/config.h"

#include <cstdint>
#include <string>
#include <vector>

namespace safekeep {

struct OwedWal {
    int repo = 0;
    std::string wal_name;
};

// Durable marker (the archive call promises the debt is remembered).
void record_owed_wal(const std::string &state_dir, int repo, const std::string &wal_name);
// Marked files, by repository then name.
std::vector<OwedWal> list_owed_wal(const std::string &state_dir);

struct CatchUpResult {
    int copied = 0;     // files that reached the repository they were owed to
    int still_owed = 0; // files whose repository is still unreachable (or no source has them)
    std::string error;  // the first reason a file is still owed
};

// Copies every owed file into its repository (from the first other
// repository that holds it) and clears its marker.
CatchUpResult wal_catch_up(const Config &cfg, uint64_t system_id, int pg_version);

} // namespace safekeep
