// The logical backups a repository holds: every logical/<label> with a
// manifest.json (a directory without one is unfinished or half removed).
#pragma once

#include "repo/layout.h"

#include <cstdint>
#include <string>
#include <vector>

namespace safekeep {

struct LogicalEntry {
    std::string label;
    std::string database;
    bool schema_only = false;
    std::vector<std::string> tables; // empty: the whole database
    int64_t start_time = 0;          // unix seconds
    int64_t stop_time = 0;
    uint64_t dump_size = 0;   // pg_dump output
    uint64_t stored_size = 0; // the object in the repository
    std::string schema_hash;
    std::string manifest_key;
    std::string manifest_json; // as stored
};

// YYYYMMDD-HHMMSSL: the only names logical/ holds backups under.
bool is_logical_label(const std::string &name);

// "full" or "schema-only": retention counts each kind apart.
const char *logical_kind(const LogicalEntry &e);

// Completed logical backups sorted by label (oldest first). A manifest that
// does not parse throws CorruptData naming it: nothing is guessed.
std::vector<LogicalEntry> list_logical_backups(const RepoLayout &repo);

// Every logical manifest, as one JSON array sorted by label.
std::string logical_list_json(const Config &cfg);

} // namespace safekeep
