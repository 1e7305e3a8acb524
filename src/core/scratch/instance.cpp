#include "scratch/instance.h"

#include "scratch/cleanup.h"
#include "scratch/scratch_conf.h"
#include "os/files.h"
#include "util/error.h"
#include "restore/server.h"

#include <cctype>
#include <chrono>
#include <cstdlib>
#include <fcntl.h>

namespace safekeep {

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t) {
    return std::chrono::duration<double>(Clock::now() - t).count();
}

// The name becomes part of a path: keep it to a safe alphabet.
void check_name(const std::string &name) {
    bool ok = !name.empty() && name.size() <= 64 && name[0] != '.';
    for (char c : name)
        ok =
            ok && (std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-');
    if (!ok)
        throw Error("scratch instance name \"" + name +
                    "\" must be 1 to 64 letters, digits, '.', '_' or '-' (not starting with '.')");
}

std::string make_temp_dir(const std::string &tmpl) {
    std::string buf = tmpl;
    if (!::mkdtemp(buf.data())) // mode 0700
        throw_errno("could not create directory \"" + tmpl + "\"");
    return buf;
}

void write_new_file(const std::string &path, const std::string &text) {
    posix::Fd fd = posix::open_file(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
    posix::write_all(fd.get(), text.data(), text.size(), path);
    fd.close(path);
}

void create_if_missing(const std::string &path) {
    if (!posix::exists(path))
        write_new_file(path, "");
}

} // namespace

ScratchInstance::ScratchInstance(const Config &cfg, RestoreRequest req, ScratchOptions opts,
                                 const CancelPoll &cancel)
    : opts_(std::move(opts)) {
    try {
        create(cfg, std::move(req), cancel);
    } catch (...) {
        try {
            stop_and_remove();
        } catch (...) {
            // The creation error is the one worth reporting.
        }
        throw;
    }
}

ScratchInstance::~ScratchInstance() {
    try {
        stop_and_remove();
    } catch (...) {
    }
}

void ScratchInstance::create(const Config &cfg, RestoreRequest req, const CancelPoll &cancel) {
    if (opts_.scratch_root.empty() || opts_.scratch_root[0] != '/')
        throw Error("scratch root \"" + opts_.scratch_root + "\" is not an absolute path");
    if (opts_.bindir.empty())
        throw Error("a scratch instance needs the server's bindir");
    if (opts_.name.empty())
        opts_.name = "scratch";
    check_name(opts_.name);
    if (opts_.port == 0)
        opts_.port = 5432;
    if (opts_.port < 1 || opts_.port > 65535)
        throw Error("port " + std::to_string(opts_.port) + " is out of range (1..65535)");
    if (opts_.timeout_seconds < 1)
        opts_.timeout_seconds = 60;

    posix::make_dirs(opts_.scratch_root, 0700);
    dir_ = make_temp_dir(posix::join(opts_.scratch_root, opts_.name + "-XXXXXX"));
    lock_ = posix::Fd(lock_scratch_dir(dir_)); // at once: the launcher's cleanup skips it
    socket_dir_ = make_temp_dir(kSocketDirTemplate);
    // Recorded first, so cleanup after a crash finds the socket directory.
    write_new_file(posix::join(dir_, "socket_dir"), socket_dir_ + "\n");
    pgdata_ = posix::join(dir_, "pgdata");
    workdir_ = posix::join(dir_, "work");
    log_path_ = posix::join(dir_, "server.log");
    posix::make_dir(workdir_, 0700, false);
    // Only this OS user can enter the socket directory, so trust is safe.
    std::string hba = posix::join(dir_, "pg_hba.conf");
    std::string ident = posix::join(dir_, "pg_ident.conf");
    write_new_file(hba, "local all all trust\n");
    write_new_file(ident, "");

    req.pgdata = pgdata_;
    req.tablespaces_in_place = true;
    for (auto &s : scratch_settings(socket_dir_, opts_.port, hba, ident))
        req.extra_settings.push_back(std::move(s));
    auto t0 = Clock::now();
    restored_ = restore_backup(cfg, req, cancel, {});
    restore_seconds_ = seconds_since(t0);
    // Debian keeps these outside PGDATA; the server needs them to exist.
    create_if_missing(posix::join(pgdata_, "postgresql.conf"));
    create_if_missing(posix::join(pgdata_, "pg_ident.conf"));

    auto t1 = Clock::now();
    start_server(opts_.bindir, pgdata_, opts_.port, log_path_, opts_.timeout_seconds, cancel);
    recovery_seconds_ = seconds_since(t1);
}

void ScratchInstance::stop_and_remove() {
    if (removed_ || dir_.empty()) {
        // Nothing was created, or it is gone already; a socket directory
        // without a scratch directory cannot happen (created after it).
        removed_ = true;
        return;
    }
    removed_ = true;
    remove_scratch_dir(dir_, socket_dir_, opts_.bindir, opts_.timeout_seconds);
    lock_ = posix::Fd(); // the directory is gone; nothing left to guard
}

std::vector<PgRow> ScratchInstance::query(const std::string &dbname, const std::string &sql,
                                          const std::vector<PgValue> &params) const {
    PgConnParams p;
    p.host = socket_dir_;
    p.port = opts_.port;
    p.user = opts_.user;
    p.dbname = dbname;
    return PgClient(p).query(sql, params);
}

RunResult ScratchInstance::run_client(const std::string &program,
                                      const std::vector<std::string> &args,
                                      const RunOptions &ro) const {
    // Only the server's own programs: a bare name resolved in bindir.
    if (program.empty() || program.find('/') != std::string::npos || program == "." ||
        program == "..")
        throw Error("program \"" + program + "\" must be a bare name of a program in \"" +
                    opts_.bindir + "\"");
    std::vector<std::string> argv = {posix::join(opts_.bindir, program), "-h", socket_dir_, "-p",
                                     std::to_string(opts_.port)};
    if (!opts_.user.empty()) {
        argv.push_back("-U");
        argv.push_back(opts_.user);
    }
    argv.insert(argv.end(), args.begin(), args.end());
    return run_program(argv, ro);
}

} // namespace safekeep
