// Logical backups: pg_dump -Fc streamed through sha256 -> zstd into
// <stanza>/logical/<label>/dump.zst, then manifest.json written last. Kept
// apart from backup/ so chains, physical retention and verify never see
// them (logical/list.h lists them, logical/expire.h expires them).
#pragma once

#include "repo/config.h"
#include "util/parallel.h"

#include <cstdint>
#include <string>
#include <vector>

namespace safekeep {

// How pg_dump / pg_restore reach the live server (local socket).
struct PgConnection {
    std::string bindir; // holds pg_dump and pg_restore
    std::string host;   // socket directory
    int port = 5432;
    std::string user;
    std::string dbname;
};

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
    std::string manifest_json;
};

LogicalDumpResult logical_dump(const Config &cfg, const LogicalDumpRequest &req);

// Common pg_dump/pg_restore connection arguments.
std::vector<std::string> connection_args(const PgConnection &c);

} // namespace safekeep
