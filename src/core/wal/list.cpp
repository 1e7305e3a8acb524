#include "wal/list.h"

#include "storage/posix.h"
#include "wal/lsn.h"
#include "wal/wal_name.h"

#include <algorithm>
#include <cstdlib>

namespace safekeep {

std::vector<WalObject> list_wal_objects(const RepoLayout &repo) {
    std::vector<WalObject> out;
    if (repo.stanza().empty())
        return out;
    const std::string root = repo.archive_root();
    auto add_from = [&](const std::string &subdir) {
        std::string dir = subdir.empty() ? root : posix::join(root, subdir);
        for (const auto &e : posix::list_dir_if_exists(dir)) {
            WalObject w;
            if (!parse_wal_object_name(e.name, w.name, w.sha256))
                continue;
            if (wal_archive_subdir(w.name) != subdir)
                continue; // misplaced; archive-get would not find it either
            w.rel = "archive/" + (subdir.empty() ? e.name : subdir + "/" + e.name);
            w.path = posix::join(dir, e.name);
            out.push_back(std::move(w));
        }
    };
    add_from("");
    for (const auto &e : posix::list_dir_if_exists(root))
        if (e.name.size() == 16 && posix::is_dir(posix::join(root, e.name)))
            add_from(e.name);
    std::sort(out.begin(), out.end(),
              [](const WalObject &a, const WalObject &b) { return a.name < b.name; });
    return out;
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
