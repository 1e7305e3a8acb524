// manifest.json: everything needed to restore one backup.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace safekeep {

constexpr uint32_t kPageSize = 8192;

// Blocks [start, start + count) of a file are pages [offset, offset + count)
// of the object of the same path in backup holders[holder] (the object holds
// that backup's stored pages, concatenated in block order). The last block
// of a file whose size is not a multiple of kPageSize is short.
struct BlockRun {
    uint32_t start = 0, count = 0, offset = 0;
    uint32_t holder = 0; // index into Manifest::holders
};

// A file of a backup is one of:
//  - stored whole: object set, no reference, no blocks (every full backup);
//  - a reference: the whole file is the (whole) object of the same path in
//    backup `reference`; object empty, stored_size 0;
//  - block mapped: blocks cover [0, ceil(size / kPageSize)); object holds
//    the pages this backup stored (object_size bytes, sha256 object_sha256),
//    or is empty when every page lives in earlier backups.
// size is always the restored file's. sha256 is the restored file's for whole
// objects and references; for a block-mapped file it is the live file as the
// backup read it, which can differ from the reassembled file in bytes that
// changed without moving a page LSN (hint bits, torn pages that WAL replay
// repairs), so restore checks block-mapped files object by object.
struct ManifestFile {
    std::string path; // relative to pgdata
    uint64_t size = 0;
    uint32_t mode = 0600;
    int64_t mtime = 0;
    std::string sha256;
    uint64_t stored_size = 0;
    std::string object; // relative to the backup directory: data/<path>.zst
    std::string reference;
    std::vector<BlockRun> blocks;
    std::string object_sha256;
    uint64_t object_size = 0;

    bool whole() const { return reference.empty() && blocks.empty(); }
    // Uncompressed bytes in the object (0 when there is none).
    uint64_t object_bytes() const { return object.empty() ? 0 : whole() ? size : object_size; }
    // sha256 of the object's uncompressed bytes.
    const std::string &object_digest() const { return whole() ? sha256 : object_sha256; }
};

struct ManifestDir {
    std::string path;
    uint32_t mode = 0700;
};

struct ManifestTablespace {
    std::string oid;
    std::string location;
};

struct Manifest {
    int format = 1;
    std::string label;
    std::string type = "full";
    std::string prior; // empty: null
    std::string system_id;
    int pg_version = 0;
    int64_t start_time = 0, stop_time = 0;
    std::string start_lsn, stop_lsn, start_wal, stop_wal;
    uint32_t timeline = 0;
    uint64_t original_bytes = 0, stored_bytes = 0, file_count = 0;
    // Uncompressed bytes of this backup's own objects (== original_bytes for a full).
    uint64_t copied_bytes = 0;
    // Labels that BlockRun::holder indexes; holders[0] is this backup.
    std::vector<std::string> holders;
    nlohmann::json table_counts = nlohmann::json::object();
    std::vector<ManifestTablespace> tablespaces;
    std::vector<ManifestDir> directories;
    std::vector<ManifestFile> files;

    std::string to_json() const;
    // source names the file in error messages.
    static Manifest from_json(const std::string &text, const std::string &source);

    // Index of label in holders, appending it when absent.
    uint32_t holder_index(const std::string &label);
    // Entry for path (files are sorted by path), or nullptr.
    const ManifestFile *find(const std::string &path) const;
    // Every other backup this one reads objects from (references and block
    // holders), sorted.
    std::vector<std::string> dependencies() const;
};

} // namespace safekeep
