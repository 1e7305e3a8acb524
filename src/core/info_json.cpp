#include "info_json.h"

namespace safekeep {

using nlohmann::json;

namespace {

json or_null(const std::string &s) {
    return s.empty() ? json(nullptr) : json(s);
}

json backup_json(const BackupEntry &b) {
    const Manifest &m = b.manifest;
    return {{"label", b.label},
            {"type", m.type},
            {"status", "completed"},
            {"prior", or_null(m.prior)},
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

json logical_json(const LogicalBackupInfo &l) {
    const LogicalEntry &e = l.entry;
    return {{"label", e.label},
            {"kind", logical_kind(e)},
            {"database", e.database},
            {"tables", e.tables},
            {"start_time", e.start_time},
            {"stop_time", e.stop_time},
            {"dump_size", e.dump_size},
            {"stored_size", e.stored_size},
            {"schema_hash", e.schema_hash},
            {"manifest_path", l.manifest_url}};
}

} // namespace

json repo_info_json(const RepoInfo &info, bool with_wal) {
    json doc;
    doc["stanza"] = or_null(info.stanza);
    doc["repo_path"] = info.location;

    json backups = json::array();
    for (const auto &b : info.backups)
        backups.push_back(backup_json(b));
    doc["backups"] = std::move(backups);
    json bad = json::array();
    for (const auto &d : info.damaged)
        bad.push_back({{"label", d.label}, {"manifest_path", d.manifest_path}, {"error", d.error}});
    doc["damaged_backups"] = std::move(bad);
    doc["expired_labels"] = info.expired_labels;

    json logical = json::array();
    for (const auto &l : info.logical)
        logical.push_back(logical_json(l));
    doc["logical_backups"] = std::move(logical);

    doc["archive"] = {{"min", or_null(info.archive.min)},
                      {"max", or_null(info.archive.max)},
                      {"count", info.archive.segments},
                      {"files", info.wal.size()}};
    if (with_wal) {
        json list = json::array();
        for (const auto &w : info.wal)
            list.push_back({{"name", w.name},
                            {"object", w.rel},
                            {"sha256", w.sha256},
                            {"stored_size", w.size},
                            {"mtime", static_cast<int64_t>(w.mtime)}});
        doc["wal"] = std::move(list);
    }
    return doc;
}

} // namespace safekeep
