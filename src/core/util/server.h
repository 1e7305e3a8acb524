// Starts a restored data directory with pg_ctl.
#pragma once

#include <string>

namespace safekeep {

// Runs <bindir>/pg_ctl start -w; then waits (within timeout) until the server
// reports itself ready as a primary. Errors include the end of the log.
void start_server(const std::string &bindir, const std::string &pgdata, int port,
                  const std::string &log_path, int timeout_seconds);

// Last n lines of a file ("" if unreadable).
std::string tail_lines(const std::string &path, int n);

} // namespace safekeep
