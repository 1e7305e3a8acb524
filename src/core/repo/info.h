// What a repository holds, typed: its backups (and the damaged ones), the
// logical backups and the WAL archive, read from the repository alone.  The
// JSON document built from it is at the edge (info_json.h).
#pragma once

#include "repo/catalog.h"
#include "repo/config.h"
#include "repo/logical_list.h"
#include "repo/wal_list.h"

#include <cstdint>
#include <string>
#include <vector>

namespace safekeep {

struct LogicalBackupInfo {
    LogicalEntry entry;
    std::string manifest_url; // where its manifest is, as the storage names it
};

// The segments of the archive (.partial, .backup and .history files are not
// counted; they are in RepoInfo::wal).
struct ArchiveSummary {
    std::string min, max; // oldest and newest segment; "" when there is none
    uint64_t segments = 0;
};

struct RepoInfo {
    std::string stanza;               // "" when the layout has none
    std::string location;             // the stanza directory's URL
    std::vector<BackupEntry> backups; // by label
    // Listed apart, so one damaged manifest never hides the others.
    std::vector<DamagedBackup> damaged;
    std::vector<std::string> expired_labels;
    std::vector<LogicalBackupInfo> logical; // by label
    std::vector<WalObject> wal;             // every archived file, by name
    ArchiveSummary archive;
};

// Reads the repository reads go to (cfg.read_repo, else the first that has
// the stanza).
RepoInfo read_repo_info(const Config &cfg);

} // namespace safekeep
