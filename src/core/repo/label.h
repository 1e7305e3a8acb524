// Backup labels: YYYYMMDD-HHMMSSF (UTC) for full backups; they sort by time.
#pragma once

#include "storage/storage.h"

#include <cstdint>
#include <string>

namespace safekeep {

std::string format_full_label(int64_t unix_seconds);
// True for YYYYMMDD-HHMMSS followed by F, or <full>_YYYYMMDD-HHMMSS + D|I.
bool is_valid_label(const std::string &label);
// Throws unless is_valid_label: a physical backup label (YYYYMMDD-HHMMSSF[_YYYYMMDD-HHMMSSD|I]);
// what names the argument in the message, e.g. "--set".
void check_backup_label_arg(const std::string &label, const std::string &what);
// Creates backup_root/<label> for the first free label at or after now
// whose own stamp is later than `after`'s (bumping by one second while
// taken) and returns the label. kind 'F' gives a full label; 'D' or 'I' gives
// <full_label>_<YYYYMMDD-HHMMSS><kind>.
std::string allocate_label(Storage &store, const std::string &backup_root, int64_t now,
                           char kind = 'F', const std::string &full_label = "",
                           const std::string &after = "");
// Unix time of the label's own stamp (the last one for D/I labels).
int64_t label_time(const std::string &label);
// The full backup label a label belongs to (its first 16 characters).
std::string full_label_of(const std::string &label);
// 'F', 'D' or 'I' (the label's last character).
char label_kind(const std::string &label);

} // namespace safekeep
