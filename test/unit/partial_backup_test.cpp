// A repository that fails does not fail the backup in the others (the
// fan-out drops it and records why), an incremental goes only where its prior
// chain is, and WAL a non-required repository missed is owed to it and
// copied there by the catch-up pass (safekeep.archive_require).
#include "backup/backup.h"
#include "error_of.h"
#include "os/files.h"
#include "storage/fanout_storage.h"
#include "storage/forwarding_storage.h"
#include "storage/posix_storage.h"
#include "temp_dir.h"
#include "wal/archive.h"
#include "wal/archive_require.h"
#include "wal/owed.h"

#include <gtest/gtest.h>

using namespace safekeep;
using safekeep::test::error_of;
using safekeep::test::TempDir;
using safekeep::test::write_text;

namespace {

// A backup_label for a backup that starts at 0/<seg>000028 on timeline 1.
std::string label_file(int seg) {
    const std::string lsn = "0/" + std::to_string(seg) + "000028";
    return "START WAL LOCATION: " + lsn + " (file 00000001000000000000000" + std::to_string(seg) +
           ")\nCHECKPOINT LOCATION: " + lsn +
           "\nBACKUP METHOD: streamed\nBACKUP FROM: primary\n"
           "START TIME: 2026-11-22 01:30:45 UTC\nLABEL: t\nSTART TIMELINE: 1\n";
}

class PartialBackup : public ::testing::Test {
  protected:
    TempDir t;
    Config cfg;
    std::string pgdata;

    void SetUp() override {
        pgdata = t / "pgdata";
        write_text(pgdata + "/PG_VERSION", "15\n");
        write_text(pgdata + "/global/pg_control", std::string(512, 'c'));
        write_text(pgdata + "/pg_safekeep/owed_wal/repo2/000000010000000000000001", "");
        for (int n : {1, 2}) {
            posix::make_dir(t / ("repo" + std::to_string(n)), 0700);
            cfg.repos.push_back(RepoSpec::posix(t / ("repo" + std::to_string(n)), n));
        }
        cfg.stanza = "7001";
    }

    // repo2 answers, but its repo.json cannot be read: an unreachable repository.
    void break_repo2() { posix::make_dirs(t / "repo2/7001/repo.json", 0700); }
    void mend_repo2() { posix::remove_tree(t / "repo2/7001"); }

    // Each backup starts in a later segment (5, 6, ...): an incremental must
    // start after its prior's end.
    int next_seg = 5;
    BackupOutcome backup(const std::string &type) {
        BackupOptions o;
        o.type = type;
        BackupSession s(cfg, pgdata, 7001, 150018, o);
        s.copy({}, {});
        const int seg = next_seg++;
        BackupStopInfo stop;
        stop.start_lsn = "0/" + std::to_string(seg) + "000028";
        stop.stop_lsn = "0/" + std::to_string(seg) + "0000FF";
        stop.labelfile = label_file(seg);
        stop.start_time = 1795311045;
        stop.stop_time = 1795311060;
        return s.finish(stop);
    }

    bool has_manifest(int repo, const std::string &label) {
        return posix::exists(
            t / ("repo" + std::to_string(repo) + "/7001/backup/" + label + "/manifest.json"));
    }
};

TEST_F(PartialBackup, AMemberThatCannotBeOpenedIsDroppedAndRecorded) {
    break_repo2();
    BackupOutcome out = backup("full");
    const std::vector<RepoOutcome> &repos = out.repositories;
    ASSERT_EQ(repos.size(), 2u);
    EXPECT_TRUE(repos[0].landed);
    EXPECT_EQ(repos[1].repo, 2);
    EXPECT_EQ(repos[1].kind, "posix");
    EXPECT_FALSE(repos[1].landed);
    EXPECT_NE(repos[1].error, "");
    EXPECT_TRUE(has_manifest(1, out.label));
    EXPECT_FALSE(has_manifest(2, out.label));
    EXPECT_FALSE(posix::exists(t / ("repo2/7001/backup/" + out.label)))
        << "nothing of the backup was written to the dropped repository";
    EXPECT_NE(out.manifest.files.size(), 0u);
    for (const auto &f : out.manifest.files)
        EXPECT_NE(f.path.rfind("pg_safekeep/", 0), 0u) << f.path << " is server state";
}

TEST_F(PartialBackup, EveryMemberDownFailsNamingEach) {
    break_repo2();
    posix::make_dirs(t / "repo1/7001/repo.json", 0700);
    std::string e = error_of([&] { backup("full"); });
    EXPECT_NE(e.find("every repository failed: repo1: "), std::string::npos) << e;
    EXPECT_NE(e.find("repo2: "), std::string::npos) << e;
}

TEST_F(PartialBackup, IncompleteSettingsFailBeforeAnythingIsWritten) {
    cfg.repos[1] = RepoSpec();
    cfg.repos[1].number = 2;
    cfg.repos[1].type = "s3";
    std::string e = error_of([&] { backup("full"); });
    EXPECT_EQ(e, "repo2 is an s3 repository but its s3_endpoint or s3_bucket is not set");
    EXPECT_TRUE(posix::list_dir_if_exists(t / "repo1/7001/backup").empty());
}

TEST_F(PartialBackup, AnIncrementalGoesOnlyWhereItsChainIs) {
    break_repo2();
    BackupOutcome full = backup("full");
    mend_repo2();
    BackupOutcome inc = backup("incremental");
    EXPECT_EQ(inc.manifest.prior, full.label);
    const std::vector<RepoOutcome> &repos = inc.repositories;
    ASSERT_EQ(repos.size(), 2u);
    EXPECT_TRUE(repos[0].landed);
    EXPECT_FALSE(repos[1].landed);
    EXPECT_EQ(repos[1].error,
              "does not hold backup " + full.label + " of the prior chain of " + full.label);
    EXPECT_TRUE(has_manifest(1, inc.label));
    EXPECT_FALSE(has_manifest(2, inc.label));
    BackupOutcome again = backup("full");
    EXPECT_TRUE(has_manifest(1, again.label) && has_manifest(2, again.label));
}

// A member whose writes are canceled (the stop poll fired while it wrote).
class CanceledStorage : public ForwardingStorage {
  public:
    using ForwardingStorage::ForwardingStorage;
    void write(const std::string &, const void *, size_t) override { throw Canceled(); }
    std::unique_ptr<ObjectWriter> create(const std::string &) override { throw Canceled(); }
};

TEST_F(PartialBackup, CancellationIsNoRepositoryFailure) {
    auto one = std::make_shared<PosixStorage>(t / "repo1");
    auto two = std::make_shared<CanceledStorage>(std::make_shared<PosixStorage>(t / "repo2"));
    FanoutStorage fan({{1, one, "", ""}, {2, two, "", ""}});
    EXPECT_THROW(fan.write("k", "x", 1), Canceled);
    EXPECT_THROW(fan.create("k2"), Canceled);
    for (const auto &m : fan.members())
        EXPECT_EQ(m.error, "") << "repository " << m.number << " was dropped";
    EXPECT_EQ(fan.members()[1].kind, "posix");
}

TEST(ArchiveRequire, ParsesListsAndRefusesTypos) {
    EXPECT_EQ(parse_repo_list("", 4), std::set<int>());
    EXPECT_EQ(parse_repo_list(" 2, 1 ", 4), (std::set<int>{1, 2}));
    EXPECT_NE(
        error_of([] { parse_repo_list("1;2", 4); }).find("\"1;2\" is not a repository number"),
        std::string::npos);
    EXPECT_NE(error_of([] { parse_repo_list("5", 4); }).find("there is no repository 5"),
              std::string::npos);
    EXPECT_NE(error_of([] { parse_repo_list("1,,2", 4); }).find("an empty item"),
              std::string::npos);
    Config c;
    c.repos = {RepoSpec::posix("/a", 1), RepoSpec::posix("/b", 2)};
    EXPECT_EQ(required_repos(c), (std::set<int>{1, 2}));
    c.archive_require = "3";
    EXPECT_EQ(error_of([&] { required_repos(c); }),
              "safekeep.archive_require names repository 3, which is not configured; WAL is "
              "not archived until it lists configured repositories only (or is empty: all of "
              "them)");
}

TEST_F(PartialBackup, WalMissedByANonRequiredRepositoryIsOwedThenCaughtUp) {
    // A .partial file: any size is a whole one.
    const std::string seg = "000000010000000000000009.partial";
    const std::string state = t / "state";
    write_text(t / "seg", std::string(4096, 'w'));
    cfg.state_dir = state;
    break_repo2();
    // Required (the default): an error, and nothing is owed.
    EXPECT_NE(error_of([&] {
                  wal_push(cfg, 7001, 150018, seg, t / "seg");
              }).find("is not archived in every repository: repo2: "),
              std::string::npos);
    EXPECT_TRUE(list_owed_wal(state).empty());
    cfg.archive_require = "1";
    EXPECT_EQ(wal_push(cfg, 7001, 150018, seg, t / "seg"), PushOutcome::AlreadyPresent);
    std::vector<OwedWal> owed = list_owed_wal(state);
    ASSERT_EQ(owed.size(), 1u);
    EXPECT_EQ(owed[0].repo, 2);
    EXPECT_EQ(owed[0].wal_name, seg);
    CatchUpResult still = wal_catch_up(cfg, 7001, 150018);
    EXPECT_EQ(still.copied, 0);
    EXPECT_EQ(still.still_owed, 1);
    EXPECT_NE(still.error.find("repository 2: "), std::string::npos) << still.error;
    mend_repo2();
    CatchUpResult done = wal_catch_up(cfg, 7001, 150018);
    EXPECT_EQ(done.copied, 1) << done.error;
    EXPECT_EQ(done.still_owed, 0);
    EXPECT_TRUE(list_owed_wal(state).empty());
    RepoLayout two = RepoLayout::for_repo_read(cfg, cfg.repos[1]);
    EXPECT_EQ(find_wal_objects(two, seg).size(), 1u);
    Config only2 = cfg;
    only2.repos = {cfg.repos[1]};
    wal_get(only2, seg, t / "got");
    EXPECT_EQ(posix::read_file(t / "got"), std::string(4096, 'w'));
}

} // namespace
