// What an archived WAL segment's decompressed bytes must look like to be the
// segment its name says: PostgreSQL's long page header at its start.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace safekeep {

struct WalExpectation {
    uint64_t system_id = 0; // 0: not known, not checked
    int pg_version = 0;     // PG_VERSION_NUM of the cluster; 0: magic not checked
};

// "" when the bytes of segment wal_name (a plain segment name) are a whole
// segment whose first page header names that segment: magic of the cluster's
// version, timeline at most the name's (the first segment of a new timeline
// begins as a copy of the old one), page address, system identifier, segment
// and block size. Else what is wrong, for a problem row.
// data holds the segment's first bytes (at least kWalHeaderBytes of them
// when the segment is that long), len its whole length.
std::string wal_segment_problem(const std::string &wal_name, const uint8_t *data, size_t len,
                                const WalExpectation &expect);

constexpr size_t kWalHeaderBytes = 40; // SizeOfXLogLongPHD

} // namespace safekeep
