// The WAL objects an archive holds.
#pragma once

#include "repo/layout.h"

#include <cstdint>
#include <string>
#include <vector>

namespace safekeep {

struct WalObject {
    std::string name;   // WAL file name (segment, .partial, .backup, .history)
    std::string sha256; // of the original bytes, from the object name
    std::string rel;    // archive/<dir>/<object>, relative to the stanza directory
    std::string key;    // the object's key in the repository's storage
    uint64_t size = 0;  // stored bytes
    double mtime = 0;   // when it was archived (Unix time)
};

// Every well-formed object in its proper directory, sorted by WAL name.
std::vector<WalObject> list_wal_objects(const RepoLayout &repo);

} // namespace safekeep
