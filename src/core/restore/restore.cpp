#include "restore/restore.h"

#include "repo/catalog.h"
#include "repo/chain.h"
#include "repo/layout.h"
#include "util/repo_problems.h"
#include "restore/recovery_conf.h"
#include "restore/restore_files.h"
#include "restore/restore_undo.h"
#include "restore/restored_server.h"
#include "os/files.h"
#include "os/checks.h"
#include "util/error.h"

#include <algorithm>
#include <cerrno>
#include <map>
#include <sys/stat.h>
#include <unistd.h>

namespace safekeep {

namespace {

// Must be missing (created) or an empty directory.
void prepare_empty_dir(const std::string &path, const char *what) {
    struct stat st;
    if (::stat(path.c_str(), &st) == 0) {
        if (!S_ISDIR(st.st_mode))
            throw Error(std::string(what) + " \"" + path + "\" exists and is not a directory");
        if (!posix::is_empty_dir(path))
            throw Error(std::string(what) + " \"" + path + "\" is not empty");
        return;
    }
    if (errno != ENOENT)
        throw_errno(std::string("could not stat ") + what + " \"" + path + "\"");
}

void set_mode(const std::string &path, uint32_t mode) {
    if (::chmod(path.c_str(), mode) != 0)
        throw_errno("could not set mode of \"" + path + "\"");
}

// Directories PostgreSQL needs even though the backup holds none of their contents.
const char *const kRuntimeDirs[] = {"pg_wal",       "pg_wal/archive_status", "pg_dynshmem",
                                    "pg_notify",    "pg_replslot",           "pg_serial",
                                    "pg_snapshots", "pg_stat_tmp",           "pg_subtrans"};

struct RestoreSource {
    RepoSpec spec;
    RepoLayout repo;
    std::vector<BackupEntry> backups;
    size_t chosen; // index into backups
};

// cfg.read_repo, else the first repository holding a backup the request
// selects (a repository that is gone or lacks it is passed over).
RestoreSource pick_source(const Config &cfg, const RestoreRequest &req) {
    const std::vector<RepoSpec> specs = readable_repos(cfg);
    RepoProblems problems;
    for (const auto &spec : specs) {
        try {
            RepoLayout repo = RepoLayout::for_repo_read(cfg, spec);
            std::vector<DamagedBackup> damaged;
            std::vector<BackupEntry> backups = list_backups(repo, &damaged);
            for (const auto &d : damaged)
                if (d.label == req.label)
                    throw Error("backup \"" + d.label +
                                "\" cannot be restored: its manifest is "
                                "damaged (" +
                                d.error + ")");
            const BackupEntry &c = select_backup(backups, req.label, req.target, repo.where());
            size_t idx = static_cast<size_t>(&c - backups.data());
            return {spec, std::move(repo), std::move(backups), idx};
        } catch (const Error &e) {
            if (specs.size() == 1)
                throw;
            problems.add(spec.number, e.what());
        }
    }
    throw NotFound("no repository holds a backup to restore: " + problems.text());
}

} // namespace

RestoreOutcome restore_backup(const Config &cfg, const RestoreRequest &req,
                              const CancelPoll &cancel, const ProgressFn &progress) {
    const std::string &pgdata = req.pgdata;
    if (pgdata.empty() || pgdata[0] != '/')
        throw Error("restore target \"" + pgdata + "\" is not an absolute path");
    check_outside_data_directories(pgdata);
    check_owned_by_us(pgdata);
    prepare_empty_dir(pgdata, "restore target");

    RestoreSource src = pick_source(cfg, req);
    const RepoLayout &repo = src.repo;
    const std::vector<BackupEntry> &backups = src.backups;
    const BackupEntry &chosen = backups[src.chosen];
    const Manifest &m = chosen.manifest;
    // Every backup the chosen one reads from must be there before anything is written.
    BackupChain chain(repo, backups, chosen);

    // Build the settings first so a bad target fails before anything is written.
    check_archive_mode(req.archive_mode);
    check_target_timeline(req.target_timeline);
    // Last, so they win over the backup's own postgresql.auto.conf lines.
    ConfSettings extra = req.extra_settings;
    if (req.archive_mode == "off")
        extra.push_back({"archive_mode", "off"});
    if (!req.target_timeline.empty())
        extra.push_back({"recovery_target_timeline", req.target_timeline});
    std::string settings = recovery_conf_text(recovery_settings(
        req.tool_path, repo_cli_options(src.spec), repo.stanza(), req.target, extra));

    std::map<std::string, std::string> links; // pg_tblspc/<oid> -> location
    if (!req.tablespaces_in_place)
        for (const auto &t : m.tablespaces) {
            if (t.location.empty() || t.location[0] != '/')
                throw Error("tablespace " + t.oid + " has a relative location \"" + t.location +
                            "\"");
            check_outside_data_directories(t.location);
            check_owned_by_us(t.location);
            prepare_empty_dir(t.location, "tablespace location");
            links["pg_tblspc/" + t.oid] = t.location;
        }

    // From here on a failure (or a cancel) removes what this restore made.
    RestoreUndo undo;
    undo.track(pgdata);
    for (const auto &l : links)
        undo.track(l.second);
    posix::make_dirs(pgdata, 0700);
    set_mode(pgdata, 0700);

    std::vector<ManifestDir> dirs = m.directories;
    std::sort(dirs.begin(), dirs.end(),
              [](const ManifestDir &a, const ManifestDir &b) { return a.path < b.path; });
    std::vector<std::pair<std::string, uint32_t>> modes;
    for (const auto &d : dirs) {
        std::string path = posix::join(pgdata, d.path);
        auto link = links.find(d.path);
        if (link != links.end()) {
            posix::make_dirs(link->second, 0700);
            modes.emplace_back(link->second, d.mode);
            if (::symlink(link->second.c_str(), path.c_str()) != 0)
                throw_errno("could not create tablespace link \"" + path + "\" -> \"" +
                            link->second + "\"");
            continue;
        }
        // Owner-writable while we fill it; the recorded mode is applied at the end.
        posix::make_dir(path, 0700, false);
        modes.emplace_back(path, d.mode);
    }

    // tablespace_map would make PostgreSQL recreate the links we just made
    // (or turn in-place directories back into links): leave it out.
    std::vector<const ManifestFile *> files;
    RestoreOutcome out;
    out.label = chosen.label;
    for (const auto &f : m.files) {
        if (f.path == "tablespace_map")
            continue;
        files.push_back(&f);
        out.bytes += f.size;
    }
    out.file_count = files.size();
    restore_files(files, chain, pgdata, cfg.parallel, cancel, progress);

    for (const char *d : kRuntimeDirs)
        posix::make_dir(posix::join(pgdata, d), 0700, false);
    for (auto it = modes.rbegin(); it != modes.rend(); ++it)
        set_mode(it->first, it->second);

    // One sync per file system instead of an fsync per file.
    posix::syncfs_path(pgdata);
    for (const auto &l : links)
        posix::syncfs_path(l.second);

    write_recovery_config(pgdata, settings);
    undo.commit();
    return out;
}

} // namespace safekeep
