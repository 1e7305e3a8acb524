// The logical backups a repository holds: every logical/<label> with a
// manifest.json (a directory without one is unfinished or half removed).
#pragma once

#include "repo/layout.h"
#include "repo/logical_manifest.h"

#include <cstdint>
#include <string>
#include <vector>

namespace safekeep {

// The manifest with where it was found; its times are always set (a manifest
// without them takes the label's stamp).
struct LogicalEntry : LogicalManifest {
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
