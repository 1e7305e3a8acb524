#include "format/segment_check.h"

#include "format/wal_name.h"
#include "format/lsn.h"

#include <cstdio>
#include <cstring>

namespace safekeep {

namespace {

// XLogLongPageHeaderData (access/xlog_internal.h) as the server writes it, in
// host byte order: the core does not include PostgreSQL's headers.
struct LongPageHeader {
    uint16_t magic;
    uint16_t info;
    uint32_t timeline;
    uint64_t pageaddr;
    uint32_t rem_len;
    uint32_t padding;
    uint64_t system_id;
    uint32_t seg_size;
    uint32_t block_size;
};
static_assert(sizeof(LongPageHeader) == kWalHeaderBytes, "SizeOfXLogLongPHD");

constexpr uint16_t kLongHeaderFlag = 0x0002; // XLP_LONG_HEADER
constexpr uint32_t kWalBlockSize = 8192;

// XLOG_PAGE_MAGIC by major version; 0 for versions this build does not know.
uint16_t page_magic(int pg_version) {
    switch (pg_version / 10000) {
    case 15:
        return 0xD110;
    default:
        return 0;
    }
}

std::string hex(uint64_t v) {
    char buf[24];
    std::snprintf(buf, sizeof buf, "%llX", static_cast<unsigned long long>(v));
    return buf;
}

} // namespace

std::string wal_segment_problem(const std::string &wal_name, const uint8_t *data, size_t len,
                                const WalExpectation &expect) {
    uint32_t timeline = 0;
    uint64_t segno = 0;
    if (!parse_segment_name(wal_name, timeline, segno))
        return "\"" + wal_name + "\" is not a WAL segment name";
    if (len != kWalSegmentSize)
        return "holds " + std::to_string(len) + " bytes, not a whole segment of " +
               std::to_string(kWalSegmentSize);
    LongPageHeader h;
    std::memcpy(&h, data, sizeof h);
    const uint16_t magic = page_magic(expect.pg_version);
    if (magic != 0 && h.magic != magic)
        return "first page has magic 0x" + hex(h.magic) + ", not 0x" + hex(magic) +
               " of PostgreSQL " + std::to_string(expect.pg_version / 10000);
    if (!(h.info & kLongHeaderFlag))
        return "first page has no long header";
    if (h.pageaddr != segno * kWalSegmentSize)
        return "first page is at LSN " + hex(h.pageaddr >> 32) + "/" +
               hex(h.pageaddr & 0xFFFFFFFFu) + ", not at the start of the segment its name says";
    if (h.timeline == 0)
        return "first page names timeline 0";
    if (h.timeline > timeline)
        return "first page is on timeline " + std::to_string(h.timeline) + ", after timeline " +
               std::to_string(timeline) + " of its name";
    if (expect.system_id != 0 && h.system_id != expect.system_id)
        return "belongs to database system " + std::to_string(h.system_id) + ", not " +
               std::to_string(expect.system_id);
    if (h.seg_size != kWalSegmentSize || h.block_size != kWalBlockSize)
        return "segment size " + std::to_string(h.seg_size) + " or block size " +
               std::to_string(h.block_size) + " differs from this build's";
    return "";
}

} // namespace safekeep
