#include "restore/recovery_report.h"

#include "repo/wal_list.h"
#include "format/wal_name.h"

#include <algorithm>
#include <sys/stat.h>

namespace safekeep {

NewestWal newest_archived_wal(const RepoLayout &repo, uint32_t below_timeline) {
    NewestWal out;
    std::vector<WalObject> wal = list_wal_objects(repo); // sorted by name
    for (auto it = wal.rbegin(); it != wal.rend(); ++it) {
        // .partial and .backup files are not segments the archiver completed
        // in order; a .partial is what a promotion leaves of the old timeline.
        if (classify_wal_name(it->name) != WalKind::Segment)
            continue;
        uint32_t tli = 0;
        uint64_t segno = 0;
        if (!parse_segment_name(it->name, tli, segno))
            continue;
        if (below_timeline != 0 && tli >= below_timeline)
            continue;
        out.name = it->name;
        // An unknown mtime (0) only leaves the time unknown.
        if (it->mtime > 0)
            out.archived_time = it->mtime;
        break;
    }
    return out;
}

namespace {

std::string rpo_note(const RecoveryFigures &f, const RecoveryLog &log,
                     const std::string &log_path) {
    std::string note;
    auto add = [&](const std::string &s) { note += (note.empty() ? "" : "; ") + s; };
    if (log_path.empty())
        add("no server log was read");
    else if (!f.last_xact && log.collector)
        add("the server sent its log to the logging collector (logging_collector = on), not "
            "to \"" +
            log_path + "\"");
    else if (!f.last_xact)
        add("the server log \"" + log_path +
            "\" names no replayed transaction (none was replayed, or log messages are not "
            "in English)");
    else if (!f.last_xact->unix_seconds)
        add("the time \"" + f.last_xact->text +
            "\" of the last replayed transaction has a zone other than a numeric offset, UTC "
            "or GMT");
    if (f.newest_wal.empty())
        add("the repository holds no archived WAL segment");
    else if (!f.newest_wal_time)
        add("cannot read when WAL segment " + f.newest_wal + " was archived");
    return note;
}

} // namespace

RecoveryFigures make_recovery_figures(double restore_seconds, double replay_seconds,
                                      const RecoveryLog &log, const NewestWal &wal,
                                      const std::string &log_path) {
    RecoveryFigures f;
    f.restore_seconds = restore_seconds;
    f.replay_seconds = replay_seconds;
    f.rto_seconds = restore_seconds + replay_seconds;
    f.last_xact = log.last_xact;
    f.newest_wal = wal.name;
    f.newest_wal_time = wal.archived_time;
    if (f.last_xact && f.last_xact->unix_seconds && f.newest_wal_time)
        f.rpo_seconds = std::max(0.0, *f.newest_wal_time - *f.last_xact->unix_seconds);
    else
        f.rpo_note = rpo_note(f, log, log_path);
    return f;
}

RecoveryFigures read_recovery_figures(const Config &cfg, const std::string &log_path) {
    RecoveryLog log;
    if (!log_path.empty())
        log = read_recovery_log(log_path);
    RepoLayout repo = RepoLayout::for_read(cfg, true);
    return make_recovery_figures(0, 0, log, newest_archived_wal(repo, log.new_timeline), log_path);
}

} // namespace safekeep
