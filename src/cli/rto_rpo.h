// The RTO and RPO lines `restore --start` prints after its summary.
#pragma once

#include "pg_safekeep/capi.h"

#include <string>

namespace safekeep::cli {

// "RTO: 12.3 s (restore 8.1 s, WAL replay and promotion 4.2 s)"
std::string rto_line(double restore_seconds, double replay_seconds);

// "RPO: last replayed transaction at <UTC, ms>+00; newest archived WAL <name>
// archived at <UTC> UTC: at most <rpo> s of commits lost", or
// "RPO: unknown (<note>)" when a figure is missing; note is the core's reason.
std::string rpo_line(const sk_recovery_figures &f, const std::string &note);

} // namespace safekeep::cli
