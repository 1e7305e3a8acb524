#include "repo/layout.h"
#include "temp_dir.h"
#include "wal_segment.h"
#include "util/error.h"
#include "wal/archive.h"
#include "wal/push_ahead.h"

#include <gtest/gtest.h>
#include <unistd.h>

using namespace safekeep;
using safekeep::test::TempDir;
using safekeep::test::write_text;

namespace {

constexpr uint64_t kSystemId = 7100;

struct FakeArchive {
    TempDir dir;
    Config cfg;
    std::string pg_wal;

    FakeArchive() {
        cfg.repo_root = dir / "repo";
        cfg.compress_level = 1;
        posix::make_dirs(cfg.repo_root, 0700);
        pg_wal = dir / "pg_wal";
        posix::make_dirs(pg_wal + "/archive_status", 0700);
    }
    // A distinct segment (content depends on n) marked .ready.
    std::string add_ready(const std::string &name, int n) {
        std::string body =
            name.size() == 24
                ? safekeep::test::wal_segment_bytes(name, kSystemId, name + std::to_string(n))
                : std::string(64 * 1024, static_cast<char>('a' + n % 26)) + name;
        write_text(pg_wal + "/" + name, body);
        write_text(pg_wal + "/archive_status/" + name + ".ready", "");
        return body;
    }
    std::string fetch(const std::string &name) {
        std::string out = dir / ("fetched_" + name);
        wal_get(cfg, name, out);
        return posix::read_file(out);
    }
};

std::string segment(int n) {
    char buf[25];
    snprintf(buf, sizeof(buf), "0000000100000000%08X", n);
    return buf;
}

} // namespace

TEST(PushAhead, ReadyFilesInArchiveOrder) {
    FakeArchive a;
    a.add_ready(segment(3), 3);
    a.add_ready(segment(2), 2);
    a.add_ready("00000002.history", 0);
    write_text(a.pg_wal + "/archive_status/" + segment(1) + ".done", "");
    write_text(a.pg_wal + "/archive_status/junk.ready", "");
    std::vector<std::string> want{"00000002.history", segment(2), segment(3)};
    EXPECT_EQ(ready_wal_files(a.pg_wal), want);
}

TEST(PushAhead, EverySegmentArrivesIntactInOrderOfRequests) {
    FakeArchive a;
    std::vector<std::string> bodies;
    for (int n = 1; n <= 8; n++)
        bodies.push_back(a.add_ready(segment(n), n));
    // The archiver asks for each in order; each call returns once that one
    // is durable, whether pushed ahead or on the calling thread.
    for (int n = 1; n <= 8; n++) {
        wal_push_with_ahead(a.cfg, kSystemId, 150000, segment(n), a.pg_wal + "/" + segment(n), 2);
        EXPECT_FALSE(find_wal_objects(RepoLayout::for_read(a.cfg, false), segment(n)).empty())
            << segment(n) << " must be durable when its call returns";
        posix::remove_tree(a.pg_wal + "/archive_status/" + segment(n) + ".ready");
    }
    for (int n = 1; n <= 8; n++)
        EXPECT_EQ(a.fetch(segment(n)), bodies[n - 1]);
}

TEST(PushAhead, FailedAheadPushIsRetriedAndReportedByTheCaller) {
    FakeArchive a;
    a.add_ready(segment(1), 1);
    a.add_ready(segment(2), 2);
    // Segment 2 is marked ready but unreadable: its push-ahead fails quietly.
    posix::remove_tree(a.pg_wal + "/" + segment(2));
    wal_push_with_ahead(a.cfg, kSystemId, 150000, segment(1), a.pg_wal + "/" + segment(1), 2);
    EXPECT_THROW(
        wal_push_with_ahead(a.cfg, kSystemId, 150000, segment(2), a.pg_wal + "/" + segment(2), 2),
        Error);
    // Once the file is back the retry succeeds.
    std::string body = a.add_ready(segment(2), 2);
    wal_push_with_ahead(a.cfg, kSystemId, 150000, segment(2), a.pg_wal + "/" + segment(2), 2);
    EXPECT_EQ(a.fetch(segment(2)), body);
}

TEST(PushAhead, DifferentContentUnderAnArchivedNameIsStillRefused) {
    FakeArchive a;
    a.add_ready(segment(1), 1);
    wal_push_with_ahead(a.cfg, kSystemId, 150000, segment(1), a.pg_wal + "/" + segment(1), 2);
    a.add_ready(segment(1), 5); // same name, other bytes
    EXPECT_THROW(
        wal_push_with_ahead(a.cfg, kSystemId, 150000, segment(1), a.pg_wal + "/" + segment(1), 2),
        Error);
}

TEST(PushAhead, TempFilesOfDeadArchiversAreRemoved) {
    FakeArchive a;
    a.add_ready(segment(1), 1);
    std::string dir = a.cfg.repo_root + "/7100/archive/0000000100000000";
    posix::make_dirs(dir, 0700);
    // pid 2^22+1 is above Linux's pid_max limit: no such process can exist.
    std::string stale = dir + "/" + segment(1) + "-" + std::string(64, 'a') + ".zst.tmp.4194305.1";
    std::string live = dir + "/" + segment(1) + "-" + std::string(64, 'b') + ".zst.tmp." +
                       std::to_string(::getppid()) + ".2";
    write_text(stale, "partial");
    write_text(live, "in progress elsewhere");
    wal_push_with_ahead(a.cfg, kSystemId, 150000, segment(1), a.pg_wal + "/" + segment(1), 2);
    EXPECT_FALSE(posix::exists(stale));
    EXPECT_TRUE(posix::exists(live));
    EXPECT_FALSE(find_wal_objects(RepoLayout::for_read(a.cfg, false), segment(1)).empty());
}
