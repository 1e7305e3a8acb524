#include "restore/select.h"

#include "util/error.h"

#include <ctime>

namespace safekeep {

static std::string format_utc(int64_t t) {
    time_t tt = static_cast<time_t>(t);
    struct tm tm;
    char buf[64];
    gmtime_r(&tt, &tm);
    std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S UTC", &tm);
    return buf;
}

const BackupEntry &select_backup(const std::vector<BackupEntry> &backups, const std::string &label,
                                 const RestoreTarget &target, const std::string &repo_desc) {
    if (!label.empty()) {
        for (const auto &b : backups)
            if (b.label == label)
                return b;
        throw NotFound("backup \"" + label + "\" does not exist in repository \"" + repo_desc +
                       "\"");
    }
    if (backups.empty())
        throw NotFound("repository \"" + repo_desc + "\" contains no backups");
    // An xid or restore point comes with the moment it was made (when the
    // caller knows it): the backup must have ended before that too.
    bool by_time = target.type == "time" ||
                   ((target.type == "xid" || target.type == "name") && target.time_unix > 0);
    if (by_time) {
        // backups are sorted by label, i.e. by start time; pick the newest that ended in time
        const BackupEntry *best = nullptr;
        for (const auto &b : backups)
            if (b.manifest.stop_time <= target.time_unix &&
                (!best || b.manifest.stop_time >= best->manifest.stop_time))
                best = &b;
        if (!best)
            throw NotFound("no backup ends before the target time " + format_utc(target.time_unix) +
                           " in repository \"" + repo_desc + "\" (oldest ends " +
                           format_utc(backups.front().manifest.stop_time) + ")");
        return *best;
    }
    return backups.back();
}

} // namespace safekeep
