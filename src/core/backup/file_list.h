// Walks a live data directory (and its tablespaces) and lists what a backup keeps.
#pragma once

#include "repo/manifest.h"

#include <cstdint>
#include <string>
#include <vector>

namespace safekeep {

struct SourceFile {
    std::string rel; // path in the backup (pg_tblspc/<oid>/... for tablespaces)
    std::string abs; // where to read it now
    uint64_t size = 0;
    uint32_t mode = 0600;
    int64_t mtime = 0;
};

struct SourceListing {
    std::vector<SourceFile> files;
    std::vector<ManifestDir> directories; // parents before children
    std::vector<ManifestTablespace> tablespaces;
};

SourceListing list_data_directory(const std::string &pgdata);

} // namespace safekeep
