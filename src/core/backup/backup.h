// One physical backup: begin (label + directory), copy (files), finish
// (backup_label, tablespace_map, manifest last) or abort.
#pragma once

#include "repo/catalog.h"
#include "repo/config.h"
#include "repo/layout.h"
#include "repo/manifest.h"
#include "os/parallel.h"

#include <cstdint>
#include <string>
#include <vector>

namespace safekeep {

struct BackupStopInfo {
    std::string start_lsn, stop_lsn, labelfile, spcmapfile, table_counts;
    int64_t start_time = 0, stop_time = 0;
};

// Where a finished backup landed in one repository.
struct RepoOutcome {
    int repo = 1;       // repository number
    std::string kind;   // the storage's kind: "posix", "s3"
    bool landed = true; // the backup is complete there
    std::string error;  // why not ("" when it landed)
};

struct BackupOutcome {
    std::string label, manifest_path, manifest_sha256;
    Manifest manifest;
    uint64_t changed_files = 0;            // files with an object in this backup
    std::vector<RepoOutcome> repositories; // every configured one, by number
};

// The backup an incremental or differential backup is relative to.
struct PriorChoice {
    std::string label;  // empty: none
    std::string reason; // why there is none
};

// incremental: the newest backup of any type; differential: the newest full
// backup; full: none. None when the repository holds no full backup, when
// timeline (if not 0) differs from the candidate's, or when the candidate's
// chain is incomplete. backups: list_backups() (sorted by label).
PriorChoice choose_prior(const std::vector<BackupEntry> &backups, const std::string &type,
                         uint32_t timeline);

struct BackupOptions {
    std::string type = "full";  // full, incremental, differential
    std::string prior;          // empty: choose_prior()
    uint32_t timeline = 0;      // current timeline; 0 = not checked until finish
    bool fallback_full = false; // no usable prior: take a full backup instead of failing
    std::string label_after;    // the new label must sort after this one too
};

class BackupSession {
  public:
    BackupSession(const Config &cfg, const std::string &pgdata, uint64_t system_id, int pg_version,
                  const BackupOptions &opts);

    const std::string &label() const { return label_; }
    const std::string &type() const { return manifest_.type; }
    const std::string &prior() const { return manifest_.prior; }
    // Why a requested incremental/differential became a full backup ("" if it did not).
    const std::string &notice() const { return notice_; }
    // Key of this backup's directory in the repository.
    std::string dir() const { return repo_.backup_key(label_); }

    void copy(const CancelPoll &cancel, const ProgressFn &progress);
    BackupOutcome finish(const BackupStopInfo &stop);
    // Removes the backup directory unless a manifest was written.
    void abort();

  private:
    Config cfg_;
    RepoLayout repo_;
    std::shared_ptr<Storage> repos_; // the repositories, unthrottled (who got what)
    std::string pgdata_;
    uint64_t system_id_;
    int pg_version_;
    std::string label_;
    bool copied_ = false;
    bool finished_ = false;
    Manifest manifest_;
    Manifest prior_;
    std::string notice_;
    uint64_t changed_files_ = 0;
};

// Removes backup/<label> of an unfinished backup; no-op if absent. Refuses
// to touch a backup that has a manifest.
void discard_partial_backup(const Config &cfg, const std::string &label);

} // namespace safekeep
