// WAL file names PostgreSQL archives, and where each lives in the repository.
#pragma once

#include <cstdint>
#include <string>

namespace safekeep {

enum class WalKind { Invalid, Segment, Partial, Backup, History };

WalKind classify_wal_name(const std::string &name);

// Directory relative to the archive root: first 16 chars for names that
// start with a segment name, "" for .history files. Throws on invalid names.
std::string wal_archive_subdir(const std::string &name);

// <name>-<sha256>.zst
std::string wal_object_name(const std::string &name, const std::string &sha256);

// If object is "<name>-<64 hex>.zst", sets name/sha and returns true.
bool parse_wal_object_name(const std::string &object, std::string &name, std::string &sha256);

// Timeline and segment number of a name that starts with a segment name
// (segments, .partial, .backup); false for other names.
bool parse_segment_name(const std::string &name, uint32_t &timeline, uint64_t &segno);

} // namespace safekeep
