// What a PostgreSQL 15 server log says about the end of a recovery: the time
// of the last transaction it replayed and the timeline it promoted to.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace safekeep {

// A timestamp as the server printed it, and its value when we can read it.
struct LoggedTime {
    std::string text;
    std::optional<double> unix_seconds; // unset when the zone is not understood
};

struct RecoveryLog {
    // From the last "last completed transaction was at log time T"; without
    // one, the last "recovery stopping ..., time T" (a reached target).
    std::optional<LoggedTime> last_xact;
    // From the last "selected new timeline ID: N"; 0 when not promoted.
    uint32_t new_timeline = 0;
    // "redirecting log output to logging collector process": the lines we
    // look for went to the collector's files instead.
    bool collector = false;
};

// Scans the text of a server log (stderr format, any log_line_prefix, English
// messages).
RecoveryLog parse_recovery_log(const std::string &text);

// Reads and scans the log file; throws Error naming it when unreadable.
RecoveryLog read_recovery_log(const std::string &path);

// "YYYY-MM-DD HH:MM:SS[.ffffff]" followed by a numeric offset ("+00",
// "-05:30", "+00:19:32") or " UTC"/" GMT"/"Z"; nullopt for anything else
// (other zone abbreviations, BC dates, "infinity").
std::optional<double> parse_log_timestamp(const std::string &text);

} // namespace safekeep
