#include "backup/backup.h"

#include "backup/copy.h"
#include "backup/file_list.h"
#include "io/sha256.h"
#include "repo/label.h"
#include "repo/repo_json.h"
#include "storage/posix.h"
#include "util/error.h"
#include "wal/lsn.h"

#include <ctime>

namespace safekeep {

BackupSession::BackupSession(const Config &cfg, const std::string &pgdata, uint64_t system_id,
                             int pg_version, const std::string &type)
    : cfg_(cfg), repo_(RepoLayout::for_write(cfg, system_id)), pgdata_(pgdata),
      system_id_(system_id), pg_version_(pg_version) {
    if (type != "full")
        throw Error("backup type \"" + type + "\" is not supported (only \"full\")");
    if (pgdata.empty() || pgdata[0] != '/')
        throw Error("data directory \"" + pgdata + "\" is not an absolute path");
    ensure_repo_json(repo_, system_id, pg_version);
    label_ = allocate_label(repo_.backup_root(), static_cast<int64_t>(std::time(nullptr)));
    manifest_.label = label_;
    manifest_.type = type;
    manifest_.system_id = std::to_string(system_id);
    manifest_.pg_version = pg_version;
}

void BackupSession::copy(const CancelPoll &cancel, const ProgressFn &progress) {
    if (copied_)
        throw Error("backup " + label_ + " was already copied");
    SourceListing src = list_data_directory(pgdata_);

    // Create every directory of the object tree up front, so workers only write files.
    std::string data = posix::join(dir(), "data");
    posix::make_dir(data, 0750, false);
    for (const auto &d : src.directories)
        posix::make_dir(posix::join(data, d.path), 0750, false);

    CopyStats stats;
    manifest_.files =
        copy_files(src.files, dir(), cfg_.compress_level, cfg_.parallel, cancel, progress, stats);
    manifest_.directories = std::move(src.directories);
    manifest_.tablespaces = std::move(src.tablespaces);
    manifest_.original_bytes = stats.original_bytes;
    manifest_.stored_bytes = stats.stored_bytes;
    // One syncfs instead of an fsync per object: nothing in the backup counts
    // until the manifest exists, and the manifest is written after this.
    posix::sync_filesystem(dir());
    copied_ = true;
}

BackupOutcome BackupSession::finish(const BackupStopInfo &stop) {
    if (!copied_)
        throw Error("backup " + label_ + " cannot finish: its files were not copied");
    if (finished_)
        throw Error("backup " + label_ + " is already finished");
    Manifest &m = manifest_;
    LabelFileInfo info = parse_labelfile(stop.labelfile);
    m.start_time = stop.start_time;
    m.stop_time = stop.stop_time;
    m.start_lsn = stop.start_lsn;
    m.stop_lsn = stop.stop_lsn;
    m.start_wal = info.start_wal;
    m.timeline = info.timeline;
    m.stop_wal = stop_wal_segment(info.timeline, parse_lsn(stop.stop_lsn));
    if (!stop.table_counts.empty()) {
        try {
            m.table_counts = nlohmann::json::parse(stop.table_counts);
        } catch (const nlohmann::json::exception &e) {
            throw Error("backup " + label_ + ": table_counts is not valid JSON: " + e.what());
        }
    }

    // A restore writes these into pgdata like any other file.
    auto add = [&](const std::string &rel, const std::string &content) {
        ManifestFile f =
            store_small_file(dir(), rel, content, 0600, stop.stop_time, cfg_.compress_level);
        m.original_bytes += f.size;
        m.stored_bytes += f.stored_size;
        auto pos = std::lower_bound(
            m.files.begin(), m.files.end(), f,
            [](const ManifestFile &a, const ManifestFile &b) { return a.path < b.path; });
        m.files.insert(pos, std::move(f));
    };
    add("backup_label", stop.labelfile);
    if (!stop.spcmapfile.empty())
        add("tablespace_map", stop.spcmapfile);
    m.file_count = m.files.size();

    std::string text = m.to_json();
    BackupOutcome out;
    out.label = label_;
    out.manifest_path = repo_.manifest_path(label_);
    out.manifest_sha256 = sha256_hex(text.data(), text.size());
    posix::write_file_atomic(out.manifest_path, text.data(), text.size());
    finished_ = true;
    out.manifest = m;
    return out;
}

void BackupSession::abort() {
    if (finished_ || label_.empty())
        return;
    if (posix::exists(repo_.manifest_path(label_)))
        return;
    posix::remove_tree(dir());
}

void discard_partial_backup(const Config &cfg, const std::string &label) {
    if (!is_valid_label(label))
        throw Error("\"" + label + "\" is not a backup label");
    RepoLayout repo = RepoLayout::for_read(cfg, true);
    if (repo.stanza().empty())
        return;
    // A backup with a manifest is complete (e.g. this catalog was restored
    // from a copy taken while that very backup ran): nothing to discard.
    if (posix::exists(repo.manifest_path(label)))
        return;
    posix::remove_tree(repo.backup_dir(label));
}

} // namespace safekeep
