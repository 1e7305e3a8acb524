// The backups a repository holds: every backup/<label> with a manifest.json.
#pragma once

#include "repo/layout.h"
#include "repo/manifest.h"

#include <string>
#include <vector>

namespace safekeep {

struct BackupEntry {
    std::string label;
    std::string manifest_path;
    std::string manifest_sha256;
    Manifest manifest;
};

// Completed backups sorted by label (oldest first).
std::vector<BackupEntry> list_backups(const RepoLayout &repo);

} // namespace safekeep
