#include "format/lsn.h"

#include "util/error.h"

#include <cinttypes>
#include <cstdio>
#include <sstream>

namespace safekeep {

uint64_t parse_lsn(const std::string &text) {
    unsigned int hi = 0, lo = 0;
    int consumed = 0;
    if (std::sscanf(text.c_str(), "%X/%X%n", &hi, &lo, &consumed) != 2 ||
        static_cast<size_t>(consumed) != text.size())
        throw Error("invalid LSN \"" + text + "\"");
    return (static_cast<uint64_t>(hi) << 32) | lo;
}

std::string wal_segment_name(uint32_t timeline, uint64_t segno) {
    const uint64_t per_xlogid = 0x100000000ULL / kWalSegmentSize;
    char buf[32];
    std::snprintf(buf, sizeof buf, "%08X%08X%08X", timeline,
                  static_cast<uint32_t>(segno / per_xlogid),
                  static_cast<uint32_t>(segno % per_xlogid));
    return buf;
}

std::string stop_wal_segment(uint32_t timeline, uint64_t stop_lsn) {
    uint64_t segno = stop_lsn / kWalSegmentSize;
    if (stop_lsn % kWalSegmentSize == 0 && segno > 0)
        segno--;
    return wal_segment_name(timeline, segno);
}

LabelFileInfo parse_labelfile(const std::string &text) {
    LabelFileInfo info;
    std::istringstream in(text);
    std::string line;
    while (std::getline(in, line)) {
        const std::string wal_prefix = "START WAL LOCATION:";
        const std::string tli_prefix = "START TIMELINE:";
        if (line.compare(0, wal_prefix.size(), wal_prefix) == 0) {
            auto pos = line.find("(file ");
            auto end = line.find(')', pos);
            if (pos != std::string::npos && end != std::string::npos)
                info.start_wal = line.substr(pos + 6, end - pos - 6);
        } else if (line.compare(0, tli_prefix.size(), tli_prefix) == 0) {
            info.timeline =
                static_cast<uint32_t>(std::strtoul(line.c_str() + tli_prefix.size(), nullptr, 10));
        }
    }
    if (info.start_wal.empty() || info.timeline == 0)
        throw Error("backup label file lacks START WAL LOCATION or START TIMELINE");
    return info;
}

} // namespace safekeep
