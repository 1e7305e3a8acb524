// A scratch instance: a backup restored into a throw-away directory and
// started privately (no TCP; one socket in a 0700 directory), for restore
// drills and single-table recovery. Destroying it stops the server and
// removes every file it made.
#pragma once

#include "repo/config.h"
#include "os/files.h"
#include "restore/restore.h"
#include "os/parallel.h"
#include "net/pg_client.h"
#include "os/process.h"

#include <string>
#include <vector>

namespace safekeep {

struct ScratchOptions {
    std::string scratch_root; // absolute; created (0700) if missing
    std::string bindir;       // pg_ctl and the client programs
    std::string name;         // tag in the directory name: [A-Za-z0-9._-], at most 64
    std::string user;         // role clients connect as; "": the OS user name
    int port = 5432;          // names the socket file only
    int timeout_seconds = 60; // start and recovery
};

// Layout of <scratch_root>/<name>-<random>/:
//   pgdata/      the restored data directory
//   work/        empty (0700), for the caller's files (dumps, COPY files)
//   server.log   the server's log
//   pg_hba.conf, pg_ident.conf   "local all all trust" / empty
//   socket_dir   names the socket directory (/tmp/sk-XXXXXX), for cleanup
//   in_use       flock'ed while this object lives: cleanup_scratch skips it
class ScratchInstance {
  public:
    // Restores req (req.pgdata is replaced, tablespaces are kept in place)
    // and starts the copy, waiting for promotion. req.extra_settings are kept;
    // the privacy settings are appended after it. On failure everything
    // created so far is stopped and removed before the exception leaves.
    ScratchInstance(const Config &cfg, RestoreRequest req, ScratchOptions opts,
                    const CancelPoll &cancel);
    ~ScratchInstance(); // stop_and_remove(), errors ignored
    ScratchInstance(const ScratchInstance &) = delete;
    ScratchInstance &operator=(const ScratchInstance &) = delete;

    // Stops the server (immediate) and removes the directory and the socket
    // directory. Idempotent; throws the first error after trying every step.
    void stop_and_remove();

    const std::string &dir() const { return dir_; }
    const std::string &pgdata() const { return pgdata_; }
    const std::string &workdir() const { return workdir_; }
    const std::string &log_path() const { return log_path_; }
    const std::string &socket_dir() const { return socket_dir_; }
    int port() const { return opts_.port; }
    const RestoreOutcome &restored() const { return restored_; }
    double restore_seconds() const { return restore_seconds_; }
    double recovery_seconds() const { return recovery_seconds_; }

    // One statement in dbname as the instance's user.
    std::vector<PgRow> query(const std::string &dbname, const std::string &sql,
                             const std::vector<PgValue> &params = {}) const;

    // Runs <bindir>/<program> -h <socket dir> -p <port> [-U <user>] args...
    // program is a bare name (no '/').
    RunResult run_client(const std::string &program, const std::vector<std::string> &args,
                         const RunOptions &ro) const;

  private:
    void create(const Config &cfg, RestoreRequest req, const CancelPoll &cancel);

    ScratchOptions opts_;
    std::string dir_, pgdata_, workdir_, log_path_, socket_dir_;
    RestoreOutcome restored_;
    double restore_seconds_ = 0, recovery_seconds_ = 0;
    bool removed_ = false;
    posix::Fd lock_; // holds <dir>/in_use locked until the directory is gone
};

} // namespace safekeep
