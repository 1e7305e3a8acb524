// LSNs, segment names and the backup label file.
#pragma once

#include <cstdint>
#include <string>

namespace safekeep {

constexpr uint64_t kWalSegmentSize = 0x1000000; // 16 MiB, PostgreSQL's default

// "0/2000028" -> 0x2000028. Throws on bad syntax.
uint64_t parse_lsn(const std::string &text);

std::string wal_segment_name(uint32_t timeline, uint64_t segno);

// Segment holding the last byte before lsn: a backup stopping exactly at a
// segment boundary needs only the previous segment.
std::string stop_wal_segment(uint32_t timeline, uint64_t stop_lsn);

struct LabelFileInfo {
    std::string start_wal;
    uint32_t timeline = 0;
};

// Parses "START WAL LOCATION: ... (file X)" and "START TIMELINE: N".
LabelFileInfo parse_labelfile(const std::string &text);

} // namespace safekeep
