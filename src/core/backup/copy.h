// Copies data files into the repository in parallel: read -> sha256 -> zstd -> object.
#pragma once

#include "backup/file_list.h"
#include "repo/manifest.h"
#include "storage/storage.h"
#include "os/parallel.h"

#include <string>
#include <vector>

namespace safekeep {

struct CopyStats {
    uint64_t original_bytes = 0;
    uint64_t stored_bytes = 0;
    uint64_t copied_bytes = 0;  // uncompressed bytes written to this backup's objects
    uint64_t changed_files = 0; // files with an object in this backup
};

// What an incremental or differential backup compares against.
struct IncrementalBase {
    const Manifest *prior = nullptr;
    // Pages whose LSN is at or past this (the prior backup's start LSN) changed.
    uint64_t threshold_lsn = 0;
    // The new manifest's holders: [new label] + prior->holders + any other
    // label the prior references. Prior holder index i is index i + 1 here.
    const std::vector<std::string> *holders = nullptr;
};

// Writes backup_dir/data/<rel>.zst (keys in store) for every file; returns manifest entries
// sorted by path. Files that vanished are left out. Objects are not fsynced
// one by one: the caller syncs the file system once before the manifest.
// With inc, files are compared with the prior backup: main and init forks of
// relations page by page (changed or new pages are stored, the rest
// referenced to the backup holding them), other files (FSM and VM forks too)
// by size, mtime and sha256 (unchanged: a reference, no object).
std::vector<ManifestFile> copy_files(const std::vector<SourceFile> &files, Storage &store,
                                     const std::string &backup_dir, int level, int parallel,
                                     const CancelPoll &cancel, const ProgressFn &progress,
                                     CopyStats &stats, const IncrementalBase *inc = nullptr);

// Page LSN (first 8 bytes: xlogid, xrecoff as little-endian uint32).
inline uint64_t page_lsn(const uint8_t *page) {
    auto le32 = [](const uint8_t *p) {
        return static_cast<uint32_t>(p[0]) | static_cast<uint32_t>(p[1]) << 8 |
               static_cast<uint32_t>(p[2]) << 16 | static_cast<uint32_t>(p[3]) << 24;
    };
    return static_cast<uint64_t>(le32(page)) << 32 | le32(page + 4);
}

// Stores one in-memory file (backup_label, tablespace_map) as an object, durably.
ManifestFile store_small_file(Storage &store, const std::string &backup_dir, const std::string &rel,
                              const std::string &content, uint32_t mode, int64_t mtime, int level);

} // namespace safekeep
