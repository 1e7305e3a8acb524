#include "format/wal_name.h"

#include "format/lsn.h"
#include "util/error.h"

#include <cstdlib>

namespace safekeep {

static bool is_hex(const std::string &s, size_t pos, size_t n) {
    if (s.size() < pos + n)
        return false;
    for (size_t i = pos; i < pos + n; i++) {
        char c = s[i];
        if (!((c >= '0' && c <= '9') || (c >= 'A' && c <= 'F')))
            return false;
    }
    return true;
}

WalKind classify_wal_name(const std::string &name) {
    if (name.size() == 24 && is_hex(name, 0, 24))
        return WalKind::Segment;
    if (name.size() == 32 && is_hex(name, 0, 24) && name.compare(24, 8, ".partial") == 0)
        return WalKind::Partial;
    if (name.size() == 40 && is_hex(name, 0, 24) && name[24] == '.' && is_hex(name, 25, 8) &&
        name.compare(33, 7, ".backup") == 0)
        return WalKind::Backup;
    if (name.size() == 16 && is_hex(name, 0, 8) && name.compare(8, 8, ".history") == 0)
        return WalKind::History;
    return WalKind::Invalid;
}

std::string wal_archive_subdir(const std::string &name) {
    switch (classify_wal_name(name)) {
    case WalKind::Segment:
    case WalKind::Partial:
    case WalKind::Backup:
        return name.substr(0, 16);
    case WalKind::History:
        return "";
    case WalKind::Invalid:
        break;
    }
    throw Error("\"" + name + "\" is not a WAL file name");
}

std::string wal_object_name(const std::string &name, const std::string &sha256) {
    return name + "-" + sha256 + ".zst";
}

bool parse_wal_object_name(const std::string &object, std::string &name, std::string &sha256) {
    const size_t tail = 1 + 64 + 4; // -<sha>.zst
    if (object.size() <= tail || object.compare(object.size() - 4, 4, ".zst") != 0 ||
        object[object.size() - tail] != '-')
        return false;
    std::string sha = object.substr(object.size() - tail + 1, 64);
    for (char c : sha)
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
            return false;
    std::string n = object.substr(0, object.size() - tail);
    if (classify_wal_name(n) == WalKind::Invalid)
        return false;
    name = std::move(n);
    sha256 = std::move(sha);
    return true;
}

bool parse_segment_name(const std::string &name, uint32_t &timeline, uint64_t &segno) {
    WalKind k = classify_wal_name(name);
    if (k != WalKind::Segment && k != WalKind::Partial && k != WalKind::Backup)
        return false;
    auto hex = [&](size_t pos) { return std::strtoull(name.substr(pos, 8).c_str(), nullptr, 16); };
    timeline = static_cast<uint32_t>(hex(0));
    segno = hex(8) * (0x100000000ULL / kWalSegmentSize) + hex(16);
    return true;
}

} // namespace safekeep
