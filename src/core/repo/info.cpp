#include "repo/info.h"

#include "repo/logical_list.h"
#include "repo/catalog.h"
#include "repo/layout.h"
#include "os/files.h"
#include "util/error.h"
#include "repo/wal_list.h"
#include "format/wal_name.h"

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
            {"copied_bytes", m.copied_bytes},
            {"depends_on", m.dependencies()},
            {"file_count", m.file_count},
            {"manifest_path", b.manifest_path},
            {"manifest_sha256", b.manifest_sha256},
            {"pg_version", m.pg_version},
            {"system_id", m.system_id}};
}

json logical_json(const LogicalEntry &e, const Storage &store) {
    return {{"label", e.label},
            {"kind", logical_kind(e)},
            {"database", e.database},
            {"tables", e.tables},
            {"start_time", e.start_time},
            {"stop_time", e.stop_time},
            {"dump_size", e.dump_size},
            {"stored_size", e.stored_size},
            {"schema_hash", e.schema_hash},
            {"manifest_path", store.url(e.manifest_key)}};
}

} // namespace

std::string repo_info_json(const Config &cfg, bool with_wal) {
    RepoLayout repo = RepoLayout::for_read(cfg, true);
    json doc;
    doc["stanza"] = repo.stanza().empty() ? json(nullptr) : json(repo.stanza());
    doc["repo_path"] = repo.store().url("");

    json backups = json::array();
    std::vector<DamagedBackup> damaged;
    for (const auto &b : list_backups(repo, &damaged))
        backups.push_back(backup_json(b));
    doc["backups"] = std::move(backups);
    // Listed apart, so one damaged manifest never hides the others.
    json bad = json::array();
    for (const auto &d : damaged)
        bad.push_back({{"label", d.label}, {"manifest_path", d.manifest_path}, {"error", d.error}});
    doc["damaged_backups"] = std::move(bad);
    doc["expired_labels"] = list_expired_labels(repo);

    json logical = json::array();
    for (const auto &e : list_logical_backups(repo))
        logical.push_back(logical_json(e, repo.store()));
    doc["logical_backups"] = std::move(logical);

    std::vector<WalObject> wal = list_wal_objects(repo);
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
        for (const auto &w : wal)
            list.push_back({{"name", w.name},
                            {"object", w.rel},
                            {"sha256", w.sha256},
                            {"stored_size", w.size},
                            {"mtime", static_cast<int64_t>(w.mtime)}});
        doc["wal"] = std::move(list);
    }
    return doc.dump();
}

} // namespace safekeep
