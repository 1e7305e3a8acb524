// RTO and RPO of a finished recovery: how long the restore and the replay took,
// and how much committed work the archive held that the recovery did not reach.
#pragma once

#include "repo/config.h"
#include "repo/layout.h"
#include "restore/recovery_log.h"

#include <cstdint>
#include <optional>
#include <string>

namespace safekeep {

struct NewestWal {
    std::string name;                    // "" when the archive holds no segment
    std::optional<double> archived_time; // the object's mtime, unix seconds
};

// The archived segment with the highest name.  below_timeline != 0 leaves out
// that timeline and later ones: a promoted server archives its new timeline
// into the same repository, and that WAL is not what the recovery could reach.
NewestWal newest_archived_wal(const RepoLayout &repo, uint32_t below_timeline);

struct RecoveryFigures {
    double rto_seconds = 0;     // restore start until the server is up and promoted
    double restore_seconds = 0; // copying the backup
    double replay_seconds = 0;  // starting the server, WAL replay, promotion
    std::optional<LoggedTime> last_xact;
    std::string newest_wal;
    std::optional<double> newest_wal_time;
    std::optional<double> rpo_seconds; // newest_wal_time - last_xact time, at least 0
    std::string rpo_note;              // why rpo_seconds is unset; "" when it is set
};

// log_path only names the log in rpo_note ("" means no log was read).
RecoveryFigures make_recovery_figures(double restore_seconds, double replay_seconds,
                                      const RecoveryLog &log, const NewestWal &wal,
                                      const std::string &log_path);

// The log of a finished recovery (skipped when log_path is empty) and the
// repository's newest WAL older than the timeline the log says it promoted to.
// The durations are left 0: the caller measured them.
RecoveryFigures read_recovery_figures(const Config &cfg, const std::string &log_path);

} // namespace safekeep
