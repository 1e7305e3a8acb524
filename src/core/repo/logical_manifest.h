// The manifest of a logical backup (logical/<label>/manifest.json), typed:
// written by logical/dump, read by the listing, retention and restore. The
// JSON text exists only when it is stored or leaves the core.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace safekeep {

struct LogicalManifest {
    std::string label;
    std::string database;
    bool schema_only = false;
    std::vector<std::string> tables; // empty: the whole database
    std::string object = "dump.zst"; // beside the manifest
    uint64_t dump_size = 0;          // pg_dump's output
    uint64_t stored_size = 0;        // the object in the repository
    std::string sha256;              // of pg_dump's output
    std::string schema_hash;
    std::string pg_dump_version;
    int64_t start_time = -1; // unix seconds; -1 when the manifest has none
    int64_t stop_time = -1;
};

// As stored: indented JSON with the times in ISO 8601 UTC, and a newline.
std::string logical_manifest_text(const LogicalManifest &m);

// Reads a stored manifest; where names it in the CorruptData thrown when the
// text is not a manifest. Missing optional fields keep their defaults.
LogicalManifest parse_logical_manifest(const std::string &text, const std::string &where);

} // namespace safekeep
