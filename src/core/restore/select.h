// Which backup a restore starts from.
#pragma once

#include "repo/catalog.h"

#include <cstdint>
#include <string>
#include <vector>

namespace safekeep {

struct RestoreTarget {
    std::string type; // "", time, lsn, xid, name, immediate
    std::string value;
    std::string action;    // "" = promote
    int64_t time_unix = 0; // type time; also xid and name when > 0 (chooses the backup)
    bool inclusive = true;
};

// label given: that backup. Otherwise for a time target, and for an xid or
// name target with time_unix > 0 (when the transaction or restore point was
// made), the newest backup whose stop_time <= time_unix; else the newest
// backup. repo_desc names the repository in errors.
const BackupEntry &select_backup(const std::vector<BackupEntry> &backups, const std::string &label,
                                 const RestoreTarget &target, const std::string &repo_desc);

} // namespace safekeep
