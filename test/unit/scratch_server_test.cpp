// Scratch instances against a real PostgreSQL 15: initdb, a backup taken
// with pg_backup_start/stop through the core, then a private copy started,
// queried, used by client programs and removed. PostgreSQL refuses to run
// as root, so as root ctest skips these; `make unittest` then runs them as
// the server user (test/unit/as_server_user.sh).
#include "pg_safekeep/capi.h"
#include "scratch/cleanup.h"
#include "scratch/instance.h"
#include "scratch/scratch_conf.h"
#include "c_results.h"
#include "temp_dir.h"
#include "test_config.h"
#include "util/error.h"
#include "net/pg_client.h"
#include "os/process.h"
#include "restore/server.h"

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <ctime>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

using namespace safekeep;
using safekeep::test::TempDir;

namespace {

std::string bindir() {
    const char *env = std::getenv("SAFEKEEP_PG_BINDIR");
    return env && *env ? env : "/usr/lib/postgresql/15/bin";
}

// The pg_safekeep tool built beside this test binary (restore_command).
std::string tool_path() {
    char buf[4096];
    ssize_t n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
    if (n <= 0)
        return "";
    return posix::join(posix::dirname(std::string(buf, static_cast<size_t>(n))), "pg_safekeep");
}

void run_ok(const std::vector<std::string> &args) {
    RunOptions o;
    o.capture = true;
    o.timeout_seconds = 120;
    RunResult r = run_program(args, o);
    ASSERT_EQ(r.exit_code, 0) << args[0] << ": " << r.output;
}

int postmaster_pid(const std::string &pgdata) {
    return std::atoi(posix::read_file(posix::join(pgdata, "postmaster.pid")).c_str());
}

bool process_alive(int pid) {
    return pid > 0 && (::kill(pid, 0) == 0 || errno != ESRCH);
}

// pg_ctl stop -w returns once postmaster.pid is gone, a moment before the
// process ends and init reaps it.
bool process_ends(int pid) {
    for (int i = 0; i < 100 && process_alive(pid); i++) {
        std::string stat;
        try {
            stat = posix::read_file("/proc/" + std::to_string(pid) + "/stat");
        } catch (const Error &) {
        }
        size_t p = stat.rfind(')');
        if (p != std::string::npos && p + 2 < stat.size() && stat[p + 2] == 'Z')
            return true;
        ::usleep(50000);
    }
    return !process_alive(pid);
}

// Drops the flock this process holds on path (through whichever descriptor
// has it open), as the death of the holder would; the descriptor stays open.
bool unlock_file_of_this_process(const std::string &path) {
    for (const auto &e : posix::list_dir("/proc/self/fd")) {
        char target[4096];
        ssize_t n = ::readlink(("/proc/self/fd/" + e.name).c_str(), target, sizeof target - 1);
        if (n > 0 && std::string(target, static_cast<size_t>(n)) == path)
            return ::flock(std::atoi(e.name.c_str()), LOCK_UN) == 0;
    }
    return false;
}

class ScratchServer : public ::testing::Test {
  protected:
    TempDir t;
    std::string src, src_sock, repo, stanza, label;
    sk_config cfg{};
    bool src_started = false;

    void SetUp() override {
        if (::geteuid() == 0)
            GTEST_SKIP() << "PostgreSQL refuses to run as root";
        if (!posix::exists(posix::join(bindir(), "initdb")) || !posix::exists(tool_path()))
            GTEST_SKIP() << "no initdb in " << bindir() << " or no " << tool_path();
        src = t / "src";
        src_sock = t / "sock";
        repo = t / "repo";
        posix::make_dir(src_sock, 0700);
        posix::make_dir(repo, 0700);
        run_ok({posix::join(bindir(), "initdb"), "-D", src, "-U", "sk_owner", "-A", "trust", "-E",
                "UTF8", "--locale=C", "--no-sync"});
        // Same port as the scratch copy's default: only sockets, in other directories.
        std::string conf = "listen_addresses = ''\nunix_socket_directories = '" + src_sock +
                           "'\nport = 5432\nfsync = off\n";
        int fd = ::open((src + "/postgresql.conf").c_str(), O_WRONLY | O_APPEND);
        ASSERT_GE(fd, 0);
        ASSERT_EQ(::write(fd, conf.data(), conf.size()), static_cast<ssize_t>(conf.size()));
        ::close(fd);
        start_server(bindir(), src, 5432, t / "src.log", 60);
        src_started = true;
        take_backup();
    }

    void TearDown() override {
        if (src_started)
            stop_server_immediate(bindir(), src, 60);
    }

    PgClient source() { return PgClient({src_sock, 5432, "sk_owner", "postgres", 10}); }

    void take_backup() {
        PgClient c = source();
        c.query("CREATE TABLE t (id int PRIMARY KEY, note text)");
        c.query("INSERT INTO t VALUES (1, 'a'), (2, 'b'), (3, $1)", {std::string("it's")});
        c.query("CREATE DATABASE other");
        stanza = *c.query("SELECT system_identifier FROM pg_control_system()")[0][0];
        int version = std::stoi(*c.query("SHOW server_version_num")[0][0]);
        cfg = safekeep::test::posix_config(repo.c_str(), stanza.c_str(), 1, 2);

        int64_t start_time = std::time(nullptr);
        std::string start_lsn = *c.query("SELECT pg_backup_start('scratch test', true)")[0][0];
        sk_backup_start bs{};
        bs.pgdata = src.c_str();
        bs.system_id = std::stoull(stanza);
        bs.pg_version = version;
        sk_msg msg;
        sk_backup *b = sk_backup_begin(&cfg, &bs, &msg);
        ASSERT_NE(b, nullptr) << msg.text;
        ASSERT_EQ(sk_backup_copy(b, nullptr, nullptr, &msg), SK_OK) << msg.text;
        PgRow stop = c.query("SELECT lsn, labelfile, spcmapfile FROM pg_backup_stop(false)")[0];
        sk_backup_stop s{};
        s.start_lsn = start_lsn.c_str();
        s.stop_lsn = stop[0]->c_str();
        s.labelfile = stop[1]->c_str();
        s.spcmapfile = stop[2] ? stop[2]->c_str() : "";
        s.start_time = start_time;
        s.stop_time = std::time(nullptr);
        test::OwnedBackupResult res;
        ASSERT_EQ(sk_backup_finish(b, &s, &res, &msg), SK_OK) << msg.text;
        sk_backup_free(b);
        label = res.label;

        // pg_backup_stop switched segments: start..stop are complete in pg_wal.
        for (const auto &e : posix::list_dir(src + "/pg_wal")) {
            if (e.name.size() != 24 || e.name < res.start_wal || e.name > res.stop_wal)
                continue;
            std::string path = src + "/pg_wal/" + e.name;
            ASSERT_EQ(
                sk_archive_push(&cfg, bs.system_id, version, e.name.c_str(), path.c_str(), &msg),
                SK_OK)
                << msg.text;
        }
    }

    RestoreRequest request() {
        RestoreRequest r;
        r.tool_path = tool_path();
        r.target.type = "immediate";
        return r;
    }

    Config core_config() {
        Config c;
        c.repo_root = repo;
        c.stanza = stanza;
        c.parallel = 2;
        return c;
    }
};

std::string query_json(sk_instance *inst, const char *db, const char *sql,
                       std::vector<const char *> params = {}) {
    char *rows = nullptr;
    sk_msg msg;
    int rc = sk_instance_query(inst, db, sql, static_cast<int>(params.size()), params.data(), &rows,
                               &msg);
    std::string out = rc == SK_OK ? std::string(rows) : "error: " + std::string(msg.text);
    sk_free(rows);
    return out;
}

} // namespace

TEST_F(ScratchServer, StartQueryRunDestroy) {
    std::string root = t / "scratch";
    sk_restore_opts ropts{};
    std::string tool = tool_path();
    ropts.pgdata = "/ignored";
    ropts.target_type = "immediate";
    ropts.tool_path = tool.c_str();
    const sk_setting extra[] = {{"work_mem", "8MB"}, {"listen_addresses", "localhost"}};
    ropts.extra_settings = extra;
    ropts.n_extra_settings = 2;
    sk_instance_opts iopts{};
    iopts.scratch_root = root.c_str();
    std::string bd = bindir();
    iopts.bindir = bd.c_str();
    iopts.name = "drill-42";
    iopts.user = "sk_owner";
    sk_restore_result res{};
    sk_msg msg;
    sk_instance *inst = sk_instance_start(&cfg, &ropts, &iopts, nullptr, &res, &msg);
    ASSERT_NE(inst, nullptr) << msg.text;
    EXPECT_EQ(std::string(res.label), label);
    EXPECT_GT(res.file_count, 100u);

    std::string pgdata = sk_instance_pgdata(inst);
    std::string dir = posix::dirname(pgdata);
    EXPECT_EQ(posix::dirname(dir), root);
    EXPECT_EQ(posix::basename(dir).compare(0, 9, "drill-42-"), 0) << dir;
    EXPECT_EQ(std::string(sk_instance_workdir(inst)), dir + "/work");
    EXPECT_TRUE(posix::is_empty_dir(sk_instance_workdir(inst)));
    EXPECT_EQ(std::string(sk_instance_log_path(inst)), dir + "/server.log");
    EXPECT_GT(sk_instance_restore_seconds(inst), 0);
    EXPECT_GT(sk_instance_recovery_seconds(inst), 0);
    std::string sock = socket_dir_from_conf(posix::read_file(pgdata + "/postgresql.auto.conf"));
    EXPECT_TRUE(is_scratch_socket_dir(sock)) << sock;
    struct stat st;
    ASSERT_EQ(::stat(sock.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 07777, 0700u);
    EXPECT_TRUE(posix::exists(sock + "/.s.PGSQL.5432"));

    // The copy has the backup's data and is private: our settings won over extra_conf.
    EXPECT_EQ(query_json(inst, "postgres", "SELECT id, note FROM t ORDER BY id"),
              R"([["1","a"],["2","b"],["3","it's"]])");
    EXPECT_EQ(query_json(inst, "postgres",
                         "SELECT current_setting('listen_addresses'), current_setting('work_mem'),"
                         " current_setting('archive_mode'), pg_is_in_recovery()::text"),
              R"([["","8MB","off","false"]])");
    EXPECT_EQ(
        query_json(inst, "other", "SELECT $1::text, $2::text, $3::int + 1", {"x'y", nullptr, "41"}),
        R"([["x'y",null,"42"]])");
    EXPECT_EQ(query_json(inst, "postgres", "CREATE TABLE scratch_only (x int)"), "[]");
    std::string err = query_json(inst, "postgres", "SELECT * FROM missing");
    EXPECT_NE(err.find("relation \"missing\" does not exist"), std::string::npos) << err;
    err = query_json(inst, "nosuchdb", "SELECT 1");
    EXPECT_NE(err.find("could not connect to database \"nosuchdb\""), std::string::npos) << err;

    // Client programs get -h/-p/-U.
    char *out = nullptr;
    int code = -1;
    const char *psql[] = {"psql", "-d", "postgres", "-Atc", "SELECT note FROM t ORDER BY id",
                          nullptr};
    ASSERT_EQ(sk_instance_run(inst, psql, 60, nullptr, &out, &code, &msg), SK_OK) << msg.text;
    EXPECT_EQ(code, 0);
    EXPECT_EQ(std::string(out), "a\nb\nit's\n");
    sk_free(out);
    std::string dump = std::string(sk_instance_workdir(inst)) + "/t.sql";
    const char *pg_dump[] = {"pg_dump",  "-d", "postgres",   "-t",
                             "public.t", "-f", dump.c_str(), nullptr};
    ASSERT_EQ(sk_instance_run(inst, pg_dump, 60, nullptr, &out, &code, &msg), SK_OK) << msg.text;
    EXPECT_EQ(code, 0) << out;
    sk_free(out);
    EXPECT_NE(posix::read_file(dump).find("CREATE TABLE public.t"), std::string::npos);
    const char *bad[] = {"psql", "-d", "postgres", "-c", "SELECT nonsense", nullptr};
    ASSERT_EQ(sk_instance_run(inst, bad, 0, nullptr, &out, &code, &msg), SK_OK) << msg.text;
    EXPECT_NE(code, 0);
    EXPECT_NE(std::string(out).find("ERROR:  column \"nonsense\" does not exist"),
              std::string::npos)
        << out;
    sk_free(out);
    const char *slow[] = {"psql", "-d", "postgres", "-c", "SELECT pg_sleep(30)", nullptr};
    EXPECT_EQ(sk_instance_run(inst, slow, 1, nullptr, &out, &code, &msg), SK_ERROR);
    EXPECT_NE(std::string(msg.text).find("did not finish within 1 seconds"), std::string::npos)
        << msg.text;
    EXPECT_EQ(out, nullptr);
    const char *escape[] = {"../../../bin/sh", "-c", "true", nullptr};
    EXPECT_EQ(sk_instance_run(inst, escape, 0, nullptr, &out, &code, &msg), SK_ERROR);

    int pid = postmaster_pid(pgdata);
    EXPECT_TRUE(process_alive(pid));
    sk_instance_destroy(inst);
    EXPECT_TRUE(process_ends(pid));
    EXPECT_FALSE(posix::exists(dir));
    EXPECT_FALSE(posix::exists(sock));
    EXPECT_TRUE(posix::is_empty_dir(root));

    // The source server was never disturbed.
    EXPECT_EQ(*source().query("SELECT count(*) FROM t")[0][0], "3");
}

// A worker that crashed leaves a running copy: cleanup stops and removes it.
TEST_F(ScratchServer, CleanupAfterCrash) {
    std::string root = t / "scratch";
    ScratchOptions o;
    o.scratch_root = root;
    o.bindir = bindir();
    o.name = "table-recovery";
    o.user = "sk_owner";
    o.port = 6543;
    auto *leaked = new ScratchInstance(core_config(), request(), o, {});
    std::string dir = leaked->dir(), sock = leaked->socket_dir();
    EXPECT_TRUE(posix::exists(sock + "/.s.PGSQL.6543"));
    EXPECT_EQ(*leaked->query("postgres", "SELECT count(*) FROM t")[0][0], "3");
    int pid = postmaster_pid(leaked->pgdata());
    ASSERT_TRUE(process_alive(pid));

    // While its owner lives, its in-use lock keeps cleanup away.
    EXPECT_EQ(cleanup_scratch(root, bindir()), 0);
    EXPECT_TRUE(process_alive(pid));
    // The owner dies: the kernel drops its lock.
    ASSERT_TRUE(unlock_file_of_this_process(posix::join(dir, kScratchLockFile)));
    EXPECT_EQ(cleanup_scratch(root, bindir()), 1);
    EXPECT_TRUE(process_ends(pid));
    EXPECT_FALSE(posix::exists(dir));
    EXPECT_FALSE(posix::exists(sock));
    delete leaked; // finds nothing left to do
}

// Canceled while restoring: nothing is left behind.
TEST_F(ScratchServer, CanceledStartLeavesNothing) {
    std::string root = t / "scratch";
    ScratchOptions o;
    o.scratch_root = root;
    o.bindir = bindir();
    auto start = [&] { ScratchInstance s(core_config(), request(), o, [] { return true; }); };
    EXPECT_THROW(start(), Canceled);
    EXPECT_TRUE(posix::is_empty_dir(root));
}

// A server that will not start: the error quotes the log, nothing is left.
TEST_F(ScratchServer, FailedStartLeavesNothing) {
    std::string root = t / "scratch";
    ScratchOptions o;
    o.scratch_root = root;
    o.bindir = bindir();
    o.timeout_seconds = 20;
    RestoreRequest r = request();
    r.extra_settings = {{"shared_buffers", "plenty"}};
    try {
        ScratchInstance s(core_config(), r, o, {});
        FAIL();
    } catch (const Error &e) {
        std::string m = e.what();
        EXPECT_NE(m.find("pg_ctl start of"), std::string::npos) << m;
        EXPECT_NE(m.find("shared_buffers"), std::string::npos) << m;
    }
    EXPECT_TRUE(posix::is_empty_dir(root));
}
