// The schema's fingerprint: sha256 of pg_dump --schema-only -Fp output with
// comment lines, blank lines and \restrict/\unrestrict lines (random key,
// pg_dump 15.14+) left out, so it changes only when the structure does.
#pragma once

#include "logical/pg_connection.h"
#include "os/parallel.h"

#include <string>

namespace safekeep {

std::string schema_hash(const PgConnection &conn, const CancelPoll &cancel);

// The same filter over a script already in memory (unit tests).
std::string schema_hash_of_text(const std::string &script);

} // namespace safekeep
