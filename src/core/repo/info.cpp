#include "repo/info.h"

#include "repo/catalog.h"
#include "repo/layout.h"
#include "storage/posix.h"
#include "util/error.h"
#include "wal/wal_name.h"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <sys/stat.h>

namespace safekeep {

using nlohmann::json;

namespace {

json backup_json(const BackupEntry &b) {
    const Manifest &m = b.manifest;
    return {{"label", b.label},
            {"type", m.type},
            {"status", "completed"},
            {"prior", m.prior.empty() ? json(nullptr) : json(m.prior)},
            {"start_time", m.start_time},
            {"stop_time", m.stop_time},
            {"start_lsn", m.start_lsn},
            {"stop_lsn", m.stop_lsn},
            {"start_wal", m.start_wal},
            {"stop_wal", m.stop_wal},
            {"timeline", m.timeline},
            {"original_bytes", m.original_bytes},
            {"stored_bytes", m.stored_bytes},
            {"file_count", m.file_count},
            {"manifest_path", b.manifest_path},
            {"manifest_sha256", b.manifest_sha256},
            {"pg_version", m.pg_version},
            {"system_id", m.system_id}};
}

struct WalObject {
    std::string name, sha256, rel, path;
};

void scan_archive(const RepoLayout &repo, std::vector<WalObject> &out) {
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
}

} // namespace

std::string repo_info_json(const Config &cfg, bool with_wal) {
    RepoLayout repo = RepoLayout::for_read(cfg, true);
    json doc;
    doc["stanza"] = repo.stanza().empty() ? json(nullptr) : json(repo.stanza());
    doc["repo_path"] = repo.root();

    json backups = json::array();
    for (const auto &b : list_backups(repo))
        backups.push_back(backup_json(b));
    doc["backups"] = std::move(backups);

    std::vector<WalObject> wal;
    if (!repo.stanza().empty())
        scan_archive(repo, wal);
    json archive = {{"min", nullptr}, {"max", nullptr}, {"count", 0}, {"files", wal.size()}};
    uint64_t segments = 0;
    for (const auto &w : wal) {
        if (classify_wal_name(w.name) != WalKind::Segment)
            continue;
        if (segments == 0)
            archive["min"] = w.name;
        archive["max"] = w.name;
        segments++;
    }
    archive["count"] = segments;
    doc["archive"] = std::move(archive);

    if (with_wal) {
        json list = json::array();
        for (const auto &w : wal) {
            struct stat st;
            if (::stat(w.path.c_str(), &st) != 0)
                continue; // removed by a concurrent expire
            list.push_back({{"name", w.name},
                            {"object", w.rel},
                            {"sha256", w.sha256},
                            {"stored_size", static_cast<uint64_t>(st.st_size)},
                            {"mtime", static_cast<int64_t>(st.st_mtime)}});
        }
        doc["wal"] = std::move(list);
    }
    return doc.dump();
}

} // namespace safekeep
