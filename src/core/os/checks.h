// Pre-flight checks the SQL side runs before a restore into a new directory.
#pragma once

#include <string>

namespace safekeep {

// Throws unless dir is absolute, outside live_pgdata (and not containing it),
// missing or empty, with an existing writable parent.
void check_target_dir(const std::string &dir, const std::string &live_pgdata);

// Throws unless dir (which may not exist yet) lies outside every PostgreSQL
// data directory: no ancestor of it, nor dir itself, holds PG_VERSION or
// postmaster.pid.  A cluster restored inside another would be copied into
// the other's backups and removed by its restores.
void check_outside_data_directories(const std::string &dir);

// Throws when dir exists and is owned by another user than the one running:
// PostgreSQL refuses a data directory it does not own.
void check_owned_by_us(const std::string &dir);

// Throws "port N is in use" if something listens on 127.0.0.1 or ::1.
void check_port_free(int port);

// True if path equals base or lies below it (both already canonical).
bool path_within(const std::string &path, const std::string &base);

} // namespace safekeep
