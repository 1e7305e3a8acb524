// WAL archive: push (idempotent, never overwrites) and get (sha256-checked).
#pragma once

#include "repo/config.h"
#include "repo/layout.h"

#include <cstdint>
#include <string>
#include <vector>

namespace safekeep {

enum class PushOutcome { Stored, AlreadyPresent };

PushOutcome wal_push(const Config &cfg, uint64_t system_id, int pg_version,
                     const std::string &wal_name, const std::string &wal_path);

// Throws NotFound if the repository lacks wal_name.
void wal_get(const Config &cfg, const std::string &wal_name, const std::string &dest_path);

// Stores a packed (compressed) file as wal_name with the sha256 of its
// content in one repository; false when it is already there, an error when a
// different content is.
bool store_wal_object(const RepoLayout &repo, const std::string &wal_name, const std::string &sha,
                      const void *packed, size_t packed_len);

// Keys of the stored objects for wal_name, in name order; normally one, more
// when something else wrote a copy beside it (verify reports that).
std::vector<std::string> find_wal_objects(const RepoLayout &repo, const std::string &wal_name);

} // namespace safekeep
