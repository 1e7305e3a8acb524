#include "os/files.h"
#include "temp_dir.h"
#include "util/error.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

using namespace safekeep;
using safekeep::test::TempDir;

TEST(AtomicWrite, WritesContentAndLeavesNoTempFile) {
    TempDir t;
    std::string p = t / "file.json";
    posix::write_file_atomic(p, "hello", 5);
    EXPECT_EQ(posix::read_file(p), "hello");
    posix::write_file_atomic(p, "second", 6);
    EXPECT_EQ(posix::read_file(p), "second");
    auto entries = posix::list_dir(t.path());
    ASSERT_EQ(entries.size(), 1u);
    EXPECT_EQ(entries[0].name, "file.json");
}

TEST(AtomicWrite, FailureReplacesNothing) {
    TempDir t;
    std::string p = t / "keep";
    posix::write_file_atomic(p, "original", 8);
    {
        posix::AtomicFile f(p);
        f.write("partial", 7);
        EXPECT_TRUE(posix::exists(f.temp_path()));
        // destroyed without commit, as when an exception unwinds
    }
    EXPECT_EQ(posix::read_file(p), "original");
    EXPECT_EQ(posix::list_dir(t.path()).size(), 1u);
}

TEST(AtomicWrite, FailedRenameRemovesTemp) {
    TempDir t;
    std::string target = t / "dir_in_the_way";
    posix::make_dir(target, 0700);
    posix::write_file_atomic(t / "dir_in_the_way/x", "x", 1);
    EXPECT_THROW(posix::write_file_atomic(target, "data", 4), Error);
    EXPECT_TRUE(posix::is_dir(target));
    EXPECT_EQ(posix::list_dir(t.path()).size(), 1u);
}

// Of two creators of one file exactly one wins (repo.json: each would bring
// its own keys); the loser's bytes never replace the winner's.
TEST(AtomicWrite, IfAbsentCreatesOnceAndKeepsTheFirst) {
    TempDir t;
    const std::string p = t / "repo.json";
    EXPECT_TRUE(posix::write_file_if_absent(p, "first", 5));
    EXPECT_FALSE(posix::write_file_if_absent(p, "second", 6));
    EXPECT_EQ(posix::read_file(p), "first");
    EXPECT_EQ(posix::list_dir(t.path()).size(), 1u) << "no temporary file is left";
}

TEST(Posix, MakeDirsAndRemoveTree) {
    TempDir t;
    std::string deep = t / "a/b/c";
    posix::make_dirs(deep, 0750);
    EXPECT_TRUE(posix::is_dir(deep));
    EXPECT_TRUE(posix::is_empty_dir(deep));
    safekeep::test::write_text(t / "a/b/f", "x");
    posix::remove_tree(t / "a");
    EXPECT_FALSE(posix::exists(t / "a"));
    posix::remove_tree(t / "a"); // missing is fine
}

TEST(Posix, OpenMissingNamesPath) {
    try {
        posix::open_file("/nonexistent/sk/file", 0);
        FAIL();
    } catch (const Error &e) {
        EXPECT_NE(std::string(e.what()).find("/nonexistent/sk/file"), std::string::npos);
    }
}
