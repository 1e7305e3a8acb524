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

// A backup directory whose manifest is there but cannot be read: truncated,
// not JSON, or naming another backup.  Only that backup is lost to the
// listing; every other one stays usable.
struct DamagedBackup {
    std::string label;
    std::string manifest_path;
    std::string error;
};

// Labels of the backups retention removed (their expired/<label> notes).
std::vector<std::string> list_expired_labels(const RepoLayout &repo);

// Completed backups sorted by label (oldest first).  Backups whose manifest
// is damaged are left out, and described in *damaged when given.
std::vector<BackupEntry> list_backups(const RepoLayout &repo,
                                      std::vector<DamagedBackup> *damaged = nullptr);

} // namespace safekeep
