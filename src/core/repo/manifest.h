// manifest.json: everything needed to restore one backup.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace safekeep {

struct ManifestFile {
    std::string path; // relative to pgdata
    uint64_t size = 0;
    uint32_t mode = 0600;
    int64_t mtime = 0;
    std::string sha256;
    uint64_t stored_size = 0;
    std::string object; // relative to the backup directory: data/<path>.zst
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
    nlohmann::json table_counts = nlohmann::json::object();
    std::vector<ManifestTablespace> tablespaces;
    std::vector<ManifestDir> directories;
    std::vector<ManifestFile> files;

    std::string to_json() const;
    // source names the file in error messages.
    static Manifest from_json(const std::string &text, const std::string &source);
    static Manifest load(const std::string &path);
};

} // namespace safekeep
