// A WAL segment as the server would archive it: 16 MiB whose first page
// header names it (archive-get and verify check that header).
#pragma once

#include "format/wal_name.h"
#include "format/lsn.h"

#include <cstdint>
#include <string>

namespace safekeep::test {

// pageaddr_segno: the segment the header claims to be (default: its own).
inline std::string wal_segment_bytes(const std::string &name, uint64_t system_id,
                                     const std::string &marker, int64_t pageaddr_segno = -1) {
    uint32_t tli = 0;
    uint64_t segno = 0;
    parse_segment_name(name, tli, segno);
    std::string s(kWalSegmentSize, '\0');
    auto put = [&](size_t at, uint64_t v, int len) {
        for (int i = 0; i < len; i++)
            s[at + i] = static_cast<char>(v >> (8 * i));
    };
    put(0, 0xD110, 2); // XLOG_PAGE_MAGIC of PostgreSQL 15
    put(2, 0x0002, 2); // XLP_LONG_HEADER
    put(4, tli, 4);
    put(8, (pageaddr_segno < 0 ? segno : uint64_t(pageaddr_segno)) * kWalSegmentSize, 8);
    put(24, system_id, 8);
    put(32, kWalSegmentSize, 4);
    put(36, 8192, 4);
    s.replace(64, marker.size(), marker);
    return s;
}

} // namespace safekeep::test
