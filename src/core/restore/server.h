// Starts and stops a restored data directory with pg_ctl.
#pragma once

#include "os/parallel.h"

#include <string>

namespace safekeep {

// Runs <bindir>/pg_ctl start -w; then waits (within timeout) until the server
// reports itself ready as a primary. Errors include the end of the log.
// cancel (polled about every 100 ms) throws Canceled; the server may then be
// left starting, for the caller to stop.
void start_server(const std::string &bindir, const std::string &pgdata, int port,
                  const std::string &log_path, int timeout_seconds, const CancelPoll &cancel = {});

// pg_ctl stop -m immediate -w: no shutdown checkpoint, for copies about to be
// thrown away. Throws with pg_ctl's output when it fails.
void stop_server_immediate(const std::string &bindir, const std::string &pgdata,
                           int timeout_seconds);

} // namespace safekeep
