#include "pg_safekeep/capi.h"
#include "temp_dir.h"
#include "test_config.h"
#include "os/checks.h"
#include "util/error.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

using namespace safekeep;
using safekeep::test::TempDir;
using safekeep::test::write_text;

TEST(Checks, TargetDirectory) {
    TempDir t;
    posix::make_dir(t / "live", 0700);
    EXPECT_NO_THROW(check_target_dir(t / "new", t / "live"));
    posix::make_dir(t / "empty", 0700);
    EXPECT_NO_THROW(check_target_dir(t / "empty", t / "live"));
    EXPECT_THROW(check_target_dir("relative/dir", t / "live"), Error);
    EXPECT_THROW(check_target_dir(t / "live", t / "live"), Error);
    EXPECT_THROW(check_target_dir(t / "live/sub/dir", t / "live"), Error);
    EXPECT_THROW(check_target_dir(t.path(), t / "live"), Error); // contains live
    write_text(t / "full/x", "x");
    EXPECT_THROW(check_target_dir(t / "full", t / "live"), Error);
    EXPECT_THROW(check_target_dir(t / "missing/parent", t / "live"), Error);
    // through a symlink into the live directory
    ASSERT_EQ(::symlink((t / "live").c_str(), (t / "link").c_str()), 0);
    EXPECT_THROW(check_target_dir(t / "link/new", t / "live"), Error);
}

TEST(Checks, PathWithin) {
    EXPECT_TRUE(path_within("/a/b", "/a"));
    EXPECT_TRUE(path_within("/a", "/a"));
    EXPECT_FALSE(path_within("/ab", "/a"));
    EXPECT_TRUE(path_within("/x", "/"));
}

TEST(Checks, PortInUse) {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    ASSERT_GE(fd, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = 0;
    ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr *>(&a), sizeof a), 0);
    ASSERT_EQ(::listen(fd, 1), 0);
    socklen_t len = sizeof a;
    ::getsockname(fd, reinterpret_cast<sockaddr *>(&a), &len);
    int port = ntohs(a.sin_port);
    sk_msg msg;
    EXPECT_EQ(sk_check_port_free(port, &msg), SK_ERROR);
    EXPECT_EQ(std::string(msg.text), "port " + std::to_string(port) + " is in use");
    ::close(fd);
    EXPECT_EQ(sk_check_port_free(0, &msg), SK_ERROR);
    EXPECT_EQ(sk_check_port_free(70000, &msg), SK_ERROR);
}

TEST(Checks, RepoAndServerErrorsComeBackAsMessages) {
    TempDir t;
    std::string absent = t / "absent";
    sk_config cfg = safekeep::test::posix_config(absent.c_str(), "", 3, 1);
    sk_msg msg;
    EXPECT_EQ(sk_check_repo(&cfg, &msg), SK_ERROR);
    EXPECT_NE(std::string(msg.text).find("does not exist"), std::string::npos);
    std::string root = t.path();
    cfg.repos[0].path = root.c_str();
    EXPECT_EQ(sk_check_repo(&cfg, &msg), SK_OK);
    EXPECT_EQ(sk_start_server((t / "nobin").c_str(), (t / "data").c_str(), 5999,
                              (t / "log").c_str(), 5, &msg),
              SK_ERROR);
    EXPECT_NE(std::string(msg.text).find("pg_ctl"), std::string::npos);
}
