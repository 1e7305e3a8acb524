// The recovery target of `restore`, checked and normalised from the options.
#pragma once

#include "options.h"

#include <cstdint>
#include <string>

namespace safekeep::cli {

struct RestoreTarget {
    std::string type;   // "" (none: all archived WAL), "time", "lsn", "xid", "name", "immediate"
    std::string value;  // as recovery_target_<type> wants it
    std::string action; // "" (promote), "promote", "pause", "shutdown"
    int64_t time_unix = 0;
    bool inclusive = true;
};

// Throws UsageError for more than one target, an unparsable or future time, a
// malformed LSN or xid, an unknown action, or --target-exclusive without a
// target it applies to.  now_unix is the current time (a parameter so the
// check does not depend on the clock in tests).
RestoreTarget parse_restore_target(const ParsedArgs &args, int64_t now_unix);

} // namespace safekeep::cli
