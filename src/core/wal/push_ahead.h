// Push-ahead for the archive module: while PostgreSQL's archiver hands us one
// segment at a time, segments already marked .ready are compressed, hashed
// and written by background threads, so the callback for the next segment
// usually finds it durable already. The archiver process is the only user.
#pragma once

#include "repo/config.h"

#include <cstdint>
#include <string>
#include <vector>

namespace safekeep {

// Makes wal_name durable in the repository (idempotent like wal_push) and
// queues up to `ahead` further .ready files of the same pg_wal directory.
// Returns only once wal_name itself is durable; throws its push error.
void wal_push_with_ahead(const Config &cfg, uint64_t system_id, int pg_version,
                         const std::string &wal_name, const std::string &wal_path, int ahead);

// Names of .ready files in <pg_wal>/archive_status, in the order PostgreSQL
// archives them (timeline history files first, then by name).
std::vector<std::string> ready_wal_files(const std::string &pg_wal_dir);

} // namespace safekeep
