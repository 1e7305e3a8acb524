// Removes scratch instances: one being destroyed, or those a crashed worker
// left behind.
#pragma once

#include <string>

namespace safekeep {

// For every subdirectory of scratch_root: stops its server if
// pgdata/postmaster.pid exists (pg_ctl stop -m immediate), removes its
// socket directory (only a /tmp/sk-XXXXXX one) and then the subdirectory.
// Call only while no scratch instance is in use (e.g. when the launcher
// starts). Returns how many were removed; a missing scratch_root is 0.
// Keeps going after a failure and throws the first error at the end.
int cleanup_scratch(const std::string &scratch_root, const std::string &bindir);

// Stops the server in <dir>/pgdata if its postmaster.pid exists, then removes
// socket_dir ("" for none) and dir. Tries every step; throws the first error.
void remove_scratch_dir(const std::string &dir, const std::string &socket_dir,
                        const std::string &bindir, int timeout_seconds);

} // namespace safekeep
