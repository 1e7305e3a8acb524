// Parsing of --target-time values.
#pragma once

#include <cstdint>
#include <string>

namespace safekeep::cli {

struct TargetTime {
    int64_t unix_seconds; // whole seconds, fraction dropped (rounded down)
    bool has_offset;      // the text named its zone (Z or +-HH[:MM])
};

// Parses "YYYY-MM-DD HH:MM:SS[.frac][Z|+HH|+HHMM|+HH:MM|-HH...]" ('T' may
// replace the space; a space before the zone is allowed; seconds may be
// omitted).  Without a zone the time is UTC.  Throws UsageError when the text
// is not such a time.
TargetTime parse_target_time(const std::string &text);

// The value handed to recovery_target_time: the text itself, with "+00"
// appended when it named no zone, so that PostgreSQL (which would otherwise
// use the restored server's TimeZone setting) reads it as UTC too.
std::string recovery_time_value(const std::string &text, const TargetTime &t);

} // namespace safekeep::cli
