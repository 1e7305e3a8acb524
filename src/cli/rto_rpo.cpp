#include "rto_rpo.h"

#include <cmath>
#include <cstdio>
#include <ctime>

namespace safekeep::cli {

namespace {

std::string seconds_text(double s) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1f s", s);
    return buf;
}

// UTC with milliseconds, "+00" as PostgreSQL writes a zero offset.
std::string log_time_text(double unix_seconds) {
    long long ms = std::llround(unix_seconds * 1000);
    std::time_t t = static_cast<std::time_t>(ms / 1000);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char day[32], buf[48];
    std::strftime(day, sizeof day, "%Y-%m-%d %H:%M:%S", &tm);
    std::snprintf(buf, sizeof buf, "%s.%03lld+00", day, ms % 1000);
    return buf;
}

std::string utc_text(double unix_seconds) {
    std::time_t t = static_cast<std::time_t>(std::floor(unix_seconds));
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[40];
    std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S UTC", &tm);
    return buf;
}

std::string newest_wal_text(const sk_recovery_figures &f) {
    std::string s = std::string("newest archived WAL ") + f.newest_wal;
    if (f.has_newest_wal_time)
        s += " archived at " + utc_text(f.newest_wal_time);
    return s;
}

} // namespace

std::string rto_line(double restore_seconds, double replay_seconds) {
    return "RTO: " + seconds_text(restore_seconds + replay_seconds) + " (restore " +
           seconds_text(restore_seconds) + ", WAL replay and promotion " +
           seconds_text(replay_seconds) + ")";
}

std::string rpo_line(const sk_recovery_figures &f, const std::string &note) {
    if (f.has_rpo)
        return "RPO: last replayed transaction at " + log_time_text(f.last_xact_time) + "; " +
               newest_wal_text(f) + ": at most " + seconds_text(f.rpo_seconds) + " of commits lost";
    // Say what is known too: half a figure still helps whoever reads the report.
    std::string known;
    if (f.has_last_xact)
        known += std::string("; last replayed transaction at ") + f.last_xact_text;
    if (f.newest_wal[0])
        known += "; " + newest_wal_text(f);
    return "RPO: unknown (" + (note.empty() ? std::string("not measured") : note) + known + ")";
}

} // namespace safekeep::cli
