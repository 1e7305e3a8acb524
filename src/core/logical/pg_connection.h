// How pg_dump and pg_restore reach a server: shared by dumps, restores and
// the schema fingerprint.
#pragma once

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

// Common pg_dump/pg_restore connection arguments.
std::vector<std::string> connection_args(const PgConnection &c);

} // namespace safekeep
