// Removes scratch instances: one being destroyed, or those a crashed worker
// left behind.
#pragma once

#include <string>

namespace safekeep {

// For every subdirectory of scratch_root: stops its server if
// pgdata/postmaster.pid exists (pg_ctl stop -m immediate), removes its
// socket directory (only a /tmp/sk-XXXXXX one) and then the subdirectory.
// A subdirectory whose in-use lock (kScratchLockFile) a live process holds
// is skipped: its instance is still being used. Returns how many were
// removed; a missing scratch_root is 0. Keeps going after a failure and
// throws the first error at the end.
int cleanup_scratch(const std::string &scratch_root, const std::string &bindir);

// <instance dir>/in_use: the process using an instance holds an flock on it
// for the instance's lifetime; the kernel releases it when that process dies.
constexpr const char *kScratchLockFile = "in_use";

// Creates <dir>/in_use and takes its lock; the returned descriptor (close on
// exec, so pg_ctl and the server do not inherit it) holds it.
int lock_scratch_dir(const std::string &dir);

// Stops the server in <dir>/pgdata if its postmaster.pid exists, then removes
// socket_dir ("" for none) and dir. Tries every step; throws the first error.
// Runs to its end even when the process is stopping (StopShield): it is the
// clean-up after a cancel or a dead postmaster.
void remove_scratch_dir(const std::string &dir, const std::string &socket_dir,
                        const std::string &bindir, int timeout_seconds);

} // namespace safekeep
