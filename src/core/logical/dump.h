// Logical backups: pg_dump -Fc streamed through sha256 -> zstd into
// <stanza>/logical/<label>/dump.zst, then manifest.json written last. Kept
// apart from backup/ so chains, physical retention and verify never see
// them (repo/logical_list.h lists them, logical/expire.h expires them).
#pragma once

#include "logical/pg_connection.h"
#include "repo/config.h"
#include "repo/logical_manifest.h"
#include "os/parallel.h"

#include <cstdint>
#include <string>
#include <vector>

namespace safekeep {

struct LogicalDumpRequest {
    PgConnection conn;
    uint64_t system_id = 0;
    bool schema_only = false;
    std::vector<std::string> tables;      // pg_dump --table patterns (already exact)
    std::vector<std::string> table_names; // the same, as recorded in the manifest
    CancelPoll cancel;
};

struct LogicalDumpResult {
    std::string label;
    LogicalManifest manifest; // as stored
};

LogicalDumpResult logical_dump(const Config &cfg, const LogicalDumpRequest &req);

} // namespace safekeep
