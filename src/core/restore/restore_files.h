// Parallel, sha256-verified decompression of backup objects into pgdata.
#pragma once

#include "repo/manifest.h"
#include "util/parallel.h"

#include <string>
#include <vector>

namespace safekeep {

// Writes pgdata/<path> for every file from backup_dir/<object>, with mode and
// mtime. Errors name the object. Does not fsync (the caller syncs once).
void restore_files(const std::vector<const ManifestFile *> &files, const std::string &backup_dir,
                   const std::string &pgdata, int parallel, const CancelPoll &cancel,
                   const ProgressFn &progress);

} // namespace safekeep
