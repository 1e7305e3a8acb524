// Waiting until a started server has left recovery.  In PostgreSQL 15 the
// postmaster reports "ready" in postmaster.pid (and pg_ctl -w returns) as soon
// as a hot standby accepts read-only connections, long before the promotion;
// pg_control's cluster state only says "in production" once recovery is over.
#pragma once

#include "os/parallel.h"

#include <string>

namespace safekeep {

// DBState values of PostgreSQL 15's pg_control.
enum class ClusterState {
    Startup = 0,
    Shutdowned,
    ShutdownedInRecovery,
    Shutdowning,
    InCrashRecovery,
    InArchiveRecovery,
    InProduction
};

// The state field of <pgdata>/global/pg_control.  Throws Error naming the file
// when it is unreadable or not PostgreSQL 15's layout (pg_control version 1300).
ClusterState read_cluster_state(const std::string &pgdata);

// Polls until the state is InProduction.  Throws Error, with the end of
// log_path, when the server stops (postmaster.pid goes away) or
// timeout_seconds (<1: 60) pass; Canceled when cancel says so.
void wait_until_promoted(const std::string &pgdata, const std::string &log_path,
                         int timeout_seconds, const CancelPoll &cancel = {});

} // namespace safekeep
