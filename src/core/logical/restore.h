// Restore of a logical backup: the object is streamed back (zstd decompress,
// sha256) into pg_restore's stdin. It is checked once before pg_restore
// starts, so a damaged object changes nothing, and again while streaming.
#pragma once

#include "logical/dump.h"

#include <string>
#include <vector>

namespace safekeep {

struct LogicalRestoreRequest {
    PgConnection conn; // conn.dbname: the target database
    std::string label;
    // pg_restore --table names; each may be "schema.table" (adds --schema).
    std::vector<std::string> tables;
    CancelPoll cancel;
};

// The manifest of label (throws NotFound for an unknown label).
std::string logical_manifest_json(const Config &cfg, const std::string &label);

// Returns pg_restore's output (warnings), if any.
std::string logical_restore(const Config &cfg, const LogicalRestoreRequest &req);

} // namespace safekeep
