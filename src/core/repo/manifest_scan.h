// Finding the backups under a repository root: the one loop behind the
// listings of physical backups, logical backups and verify.
#pragma once

#include "storage/storage.h"

#include <functional>
#include <string>
#include <vector>

namespace safekeep {

// Every backup directory holds its manifest under this name, written last.
inline constexpr char kManifestName[] = "manifest.json";

struct FoundManifest {
    std::string label; // the directory's name
    std::string key;   // the manifest's key
    std::string text;  // the manifest as stored
};

// Each directory directly under root whose name passes is_label and that holds
// a manifest, in label (time) order. A directory without one (unfinished,
// failed or half removed) is not a backup and is skipped.
std::vector<FoundManifest> read_manifests(Storage &store, const std::string &root,
                                          const std::function<bool(const std::string &)> &is_label);

} // namespace safekeep
