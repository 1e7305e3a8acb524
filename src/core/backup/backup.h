// One physical backup: begin (label + directory), copy (files), finish
// (backup_label, tablespace_map, manifest last) or abort.
#pragma once

#include "repo/config.h"
#include "repo/layout.h"
#include "repo/manifest.h"
#include "util/parallel.h"

#include <cstdint>
#include <string>

namespace safekeep {

struct BackupStopInfo {
    std::string start_lsn, stop_lsn, labelfile, spcmapfile, table_counts;
    int64_t start_time = 0, stop_time = 0;
};

struct BackupOutcome {
    std::string label, manifest_path, manifest_sha256;
    Manifest manifest;
};

class BackupSession {
  public:
    BackupSession(const Config &cfg, const std::string &pgdata, uint64_t system_id, int pg_version,
                  const std::string &type);

    const std::string &label() const { return label_; }
    std::string dir() const { return repo_.backup_dir(label_); }

    void copy(const CancelPoll &cancel, const ProgressFn &progress);
    BackupOutcome finish(const BackupStopInfo &stop);
    // Removes the backup directory unless a manifest was written.
    void abort();

  private:
    Config cfg_;
    RepoLayout repo_;
    std::string pgdata_;
    uint64_t system_id_;
    int pg_version_;
    std::string label_;
    bool copied_ = false;
    bool finished_ = false;
    Manifest manifest_;
};

// Removes backup/<label> of an unfinished backup; no-op if absent. Refuses
// to touch a backup that has a manifest.
void discard_partial_backup(const Config &cfg, const std::string &label);

} // namespace safekeep
