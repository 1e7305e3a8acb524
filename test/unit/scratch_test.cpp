// Scratch instances without a server: settings, failure cleanup, leftovers.
#include "pg_safekeep/capi.h"
#include "scratch/cleanup.h"
#include "scratch/instance.h"
#include "scratch/scratch_conf.h"
#include "temp_dir.h"
#include "test_config.h"
#include "util/error.h"

#include <cstdlib>
#include <gtest/gtest.h>
#include <set>
#include <sys/stat.h>

using namespace safekeep;
using safekeep::test::TempDir;
using safekeep::test::write_text;

namespace {

std::string make_socket_dir() {
    std::string buf = kSocketDirTemplate;
    if (!::mkdtemp(buf.data()))
        std::abort();
    return buf;
}

// Entries of /tmp that could be socket directories.
std::set<std::string> socket_dirs() {
    std::set<std::string> out;
    for (const auto &e : posix::list_dir("/tmp"))
        if (e.name.compare(0, 3, "sk-") == 0)
            out.insert(e.name);
    return out;
}

} // namespace

TEST(ScratchConf, SettingsAndSocketDir) {
    std::string s =
        conf_lines(scratch_settings("/tmp/sk-Ab12Cd", 5433, "/x/it's\\/pg_hba.conf", "/x/ident"));
    for (const char *line :
         {"listen_addresses = ''\n", "unix_socket_directories = '/tmp/sk-Ab12Cd'\n",
          "port = '5433'\n", "hba_file = '/x/it''s\\\\/pg_hba.conf'\n", "ident_file = '/x/ident'\n",
          "archive_mode = 'off'\n", "hot_standby = 'off'\n"})
        EXPECT_NE(s.find(line), std::string::npos) << line;

    EXPECT_EQ(socket_dir_from_conf("port = 1\nunix_socket_directories = '/tmp/a'\n"
                                   "  unix_socket_directories='/tmp/it''s'\n# x\n"),
              "/tmp/it's");
    // Read back as PostgreSQL does: backslashes escape.
    EXPECT_EQ(socket_dir_from_conf("unix_socket_directories = '/tmp/a\\\\b''c'\n"), "/tmp/a\\b'c");
    EXPECT_EQ(socket_dir_from_conf("# unix_socket_directories = '/tmp/a'\n"), "");
    EXPECT_EQ(socket_dir_from_conf(s), "/tmp/sk-Ab12Cd");

    EXPECT_TRUE(is_scratch_socket_dir("/tmp/sk-Ab12Cd"));
    EXPECT_FALSE(is_scratch_socket_dir("/tmp/sk-Ab12C"));
    EXPECT_FALSE(is_scratch_socket_dir("/tmp/sk-../etc"));
    EXPECT_FALSE(is_scratch_socket_dir("/tmp/xx-Ab12Cd"));
    EXPECT_FALSE(is_scratch_socket_dir("/var/run/postgresql"));
}

// A failed start (here: no backup) leaves neither the directory nor the
// socket directory behind.
TEST(ScratchInstance, FailedStartLeavesNothing) {
    TempDir t;
    posix::make_dir(t / "repo", 0700);
    sk_config cfg = safekeep::test::posix_config((t / "repo").c_str(), "1234", 3, 1);
    sk_restore_opts ropts{};
    std::string root = t / "scratch";
    sk_instance_opts iopts{};
    iopts.scratch_root = root.c_str();
    iopts.bindir = "/nonexistent/bin";
    iopts.name = "drill-1";
    sk_restore_result res;
    sk_msg msg;
    std::set<std::string> sockets_before = socket_dirs();
    EXPECT_EQ(sk_instance_start(&cfg, &ropts, &iopts, nullptr, &res, &msg), nullptr);
    EXPECT_NE(std::string(msg.text), "");
    EXPECT_TRUE(posix::is_empty_dir(root));
    struct stat st;
    ASSERT_EQ(::stat(root.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 07777, 0700u);
    for (const auto &d : socket_dirs())
        EXPECT_TRUE(sockets_before.count(d)) << "left behind: /tmp/" << d;

    iopts.name = "../up";
    EXPECT_EQ(sk_instance_start(&cfg, &ropts, &iopts, nullptr, &res, &msg), nullptr);
    EXPECT_NE(std::string(msg.text).find("scratch instance name \"../up\""), std::string::npos)
        << msg.text;
    iopts.name = "x";
    iopts.scratch_root = "relative/root";
    EXPECT_EQ(sk_instance_start(&cfg, &ropts, &iopts, nullptr, &res, &msg), nullptr);
    EXPECT_NE(std::string(msg.text).find("not an absolute path"), std::string::npos) << msg.text;
    sk_instance_destroy(nullptr);
}

// Leftovers without a running server: directories and their socket
// directories go; a socket directory that is not ours stays.
TEST(ScratchCleanup, RemovesLeftovers) {
    TempDir t;
    std::string root = t / "scratch";
    std::string sock1 = make_socket_dir(), sock2 = make_socket_dir();
    write_text(root + "/drill-1-aaaaaa/socket_dir", sock1 + "\n");
    write_text(root + "/drill-1-aaaaaa/pgdata/PG_VERSION", "15\n");
    // No socket_dir file: postgresql.auto.conf names it.
    write_text(root + "/drill-2-bbbbbb/pgdata/postgresql.auto.conf",
               "unix_socket_directories = '" + sock2 + "'\n");
    // Names a directory cleanup must not touch.
    write_text(t / "keep/file", "x");
    write_text(root + "/drill-3-cccccc/pgdata/postgresql.auto.conf",
               "unix_socket_directories = '" + (t / "keep") + "'\n");
    write_text(root + "/stray-file", "not a directory");
    ASSERT_EQ(::symlink((t / "keep").c_str(), (root + "/link").c_str()), 0);

    sk_msg msg;
    ASSERT_EQ(sk_scratch_cleanup(root.c_str(), "/nonexistent/bin", &msg), SK_OK) << msg.text;
    EXPECT_NE(std::string(msg.text).find("removed 3 scratch instance(s)"), std::string::npos)
        << msg.text;
    EXPECT_FALSE(posix::exists(sock1));
    EXPECT_FALSE(posix::exists(sock2));
    EXPECT_TRUE(posix::exists(t / "keep/file"));
    EXPECT_TRUE(posix::exists(root + "/stray-file"));
    EXPECT_TRUE(posix::exists(root + "/link"));
    EXPECT_FALSE(posix::exists(root + "/drill-1-aaaaaa"));

    EXPECT_EQ(cleanup_scratch(t / "missing", "/bin"), 0);
    EXPECT_THROW(cleanup_scratch("relative", "/bin"), Error);
}
