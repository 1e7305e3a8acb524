// Backup labels: YYYYMMDD-HHMMSSF (UTC) for full backups; they sort by time.
#pragma once

#include <cstdint>
#include <string>

namespace safekeep {

std::string format_full_label(int64_t unix_seconds);
// True for YYYYMMDD-HHMMSS followed by F, or <full>_YYYYMMDD-HHMMSS + D|I.
bool is_valid_label(const std::string &label);
// Creates backup_root/<label> for the first free label at or after now
// (bumping by one second while taken) and returns the label.
std::string allocate_label(const std::string &backup_root, int64_t now);

} // namespace safekeep
