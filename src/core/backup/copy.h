// Copies data files into the repository in parallel: read -> sha256 -> zstd -> object.
#pragma once

#include "backup/file_list.h"
#include "repo/manifest.h"
#include "util/parallel.h"

#include <string>
#include <vector>

namespace safekeep {

struct CopyStats {
    uint64_t original_bytes = 0;
    uint64_t stored_bytes = 0;
};

// Writes backup_dir/data/<rel>.zst for every file; returns manifest entries
// sorted by path. Files that vanished are left out. Objects are not fsynced
// one by one: the caller syncs the file system once before the manifest.
std::vector<ManifestFile> copy_files(const std::vector<SourceFile> &files,
                                     const std::string &backup_dir, int level, int parallel,
                                     const CancelPoll &cancel, const ProgressFn &progress,
                                     CopyStats &stats);

// Stores one in-memory file (backup_label, tablespace_map) as an object, durably.
ManifestFile store_small_file(const std::string &backup_dir, const std::string &rel,
                              const std::string &content, uint32_t mode, int64_t mtime, int level);

} // namespace safekeep
