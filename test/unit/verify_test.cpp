// Verification on a real repository with damaged objects, chains and WAL.
#include "c_results.h"
#include "verify_repo.h"

#include "util/error.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <unistd.h>

using namespace safekeep;
using namespace safekeep::test;
using nlohmann::json;

namespace {

bool has_problem(const json &problems, const std::string &label, const std::string &kind,
                 const std::string &object_part) {
    for (const auto &p : problems)
        if (p["label"] == label && p["kind"] == kind &&
            p["object"].get<std::string>().find(object_part) != std::string::npos)
            return true;
    return false;
}

} // namespace

TEST_F(Repo, VerifyCleanThenCorruptMissingChainAndWalGap) {
    const std::string full = backup("full", 1);
    write_text(pgdata + "/base/1/16384", page(0x500000, 'a') + page(0x1500000, 'X'));
    const std::string inc = backup("incremental", 2);
    push(1);
    push(2);
    EXPECT_EQ(verify(""), json::array());
    EXPECT_EQ(verify(inc, true), json::array());

    // Unknown label.
    json nf = verify("20990101-000000F", false, SK_NOT_FOUND);
    EXPECT_NE(nf.get<std::string>().find("20990101-000000F"), std::string::npos);

    // One flipped byte in the incremental's page object.
    std::string obj = object(inc, "base/1/16384");
    std::string packed = posix::read_file(obj);
    packed[packed.size() - 6] ^= 0x20;
    posix::write_file_atomic(obj, packed.data(), packed.size(), false);
    json p = verify(inc);
    ASSERT_EQ(p.size(), 1u) << p.dump();
    EXPECT_TRUE(has_problem(p, inc, "corrupt_object", "backup/" + inc + "/data/base/1/16384.zst"))
        << p.dump();
    EXPECT_NE(p[0]["detail"].get<std::string>().find("base/1/16384"), std::string::npos);

    // A missing object of the full backup, which the incremental reads from.
    ASSERT_EQ(::unlink(object(full, "global/1262").c_str()), 0);
    p = verify("");
    EXPECT_TRUE(has_problem(p, full, "missing_object", "backup/" + full + "/data/global/1262.zst"))
        << p.dump();
    EXPECT_TRUE(has_problem(p, inc, "missing_object", "backup/" + full + "/data/global/1262.zst"))
        << p.dump();

    // A WAL gap: segment 3 missing between the backup and the newest segment.
    push(4);
    p = verify(inc, true);
    EXPECT_TRUE(has_problem(p, inc, "missing_wal", seg(3))) << p.dump();
    EXPECT_FALSE(has_problem(verify(inc, false), inc, "missing_wal", ""));
    // A missing segment inside the backup's own range.
    const std::string inc2 = backup("incremental", 5);
    p = verify(inc2);
    EXPECT_TRUE(has_problem(p, inc2, "missing_wal", seg(5))) << p.dump();

    // A broken chain: the full backup's manifest is gone.
    ASSERT_EQ(::unlink((repo + "/7001/backup/" + full + "/manifest.json").c_str()), 0);
    p = verify(inc);
    EXPECT_TRUE(has_problem(p, inc, "chain", full)) << p.dump();
    p = verify(inc2);
    EXPECT_TRUE(has_problem(p, inc2, "chain", full)) << p.dump();
    // Restoring it names the missing backup.
    sk_restore_opts o{};
    std::string dest = t / "r";
    o.pgdata = dest.c_str();
    o.label = inc.c_str();
    o.tool_path = "pg_safekeep";
    sk_restore_result rr{};
    sk_msg msg{};
    EXPECT_EQ(sk_restore(&cfg, &o, nullptr, &rr, &msg), SK_NOT_FOUND);
    EXPECT_NE(std::string(msg.text).find(full), std::string::npos) << msg.text;
}

// A flipped byte in an object of the full backup that the incremental reads
// (same stored size): a problem of both, naming the full's object.
TEST_F(Repo, ChainObjectsAreReadInFull) {
    const std::string full = backup("full", 1);
    write_text(pgdata + "/base/1/16384", page(0x500000, 'a') + page(0x1500000, 'X'));
    const std::string inc = backup("incremental", 2);
    push(1);
    push(2);
    ASSERT_EQ(verify(inc), json::array());
    for (const char *rel : {"base/1/16384", "global/1262"}) {
        std::string obj = object(full, rel);
        std::string packed = posix::read_file(obj);
        packed[packed.size() / 2] ^= 0x01;
        posix::write_file_atomic(obj, packed.data(), packed.size(), false);
        json p = verify(inc);
        const std::string bad = "backup/" + full + "/data/" + rel + ".zst";
        EXPECT_TRUE(has_problem(p, inc, "corrupt_object", bad)) << rel << p.dump();
        EXPECT_TRUE(has_problem(p, full, "corrupt_object", bad)) << rel << p.dump();
        for (const auto &row : p) {
            if (row["label"] == inc)
                EXPECT_NE(row["detail"].get<std::string>().find("read from backup " + full),
                          std::string::npos)
                    << row.dump();
        }
        // Asked about the full backup alone: the incremental is named too.
        EXPECT_TRUE(has_problem(verify(full), inc, "corrupt_object", bad)) << rel;
        packed[packed.size() / 2] ^= 0x01;
        posix::write_file_atomic(obj, packed.data(), packed.size(), false);
        EXPECT_EQ(verify(""), json::array());
    }
}

// WAL is read, not only listed: content, page header and duplicates.
TEST_F(Repo, WalContentHeaderAndDuplicates) {
    const std::string full = backup("full", 1);
    push(1);
    push(2);
    push_bytes(3, segment_bytes(3, 2)); // says it is segment 2
    push(4);
    json p = verify(full, true);
    ASSERT_EQ(p.size(), 1u) << p.dump();
    EXPECT_TRUE(has_problem(p, full, "corrupt_wal", seg(3))) << p.dump();
    EXPECT_NE(p[0]["detail"].get<std::string>().find("not at the start of the segment"),
              std::string::npos)
        << p.dump();
    // Segment 3 only matters up to the newest WAL.
    EXPECT_EQ(verify(full, false), json::array());

    // A flipped byte in segment 4's object.
    const std::string dir = repo + "/7001/archive/0000000100000000/";
    std::string obj4;
    for (const auto &n : posix::list_dir(dir))
        if (n.name.rfind(seg(4), 0) == 0)
            obj4 = dir + n.name;
    ASSERT_FALSE(obj4.empty());
    std::string packed = posix::read_file(obj4);
    packed[packed.size() / 2] ^= 0x10;
    posix::write_file_atomic(obj4, packed.data(), packed.size(), false);
    EXPECT_TRUE(has_problem(verify(full, true), full, "corrupt_wal", seg(4)));

    // A second object for segment 1, sorting before the real one.
    std::string obj1;
    for (const auto &n : posix::list_dir(dir))
        if (n.name.rfind(seg(1), 0) == 0)
            obj1 = dir + n.name;
    std::string fake = dir + wal_object_name(seg(1), std::string(64, '0'));
    std::string copy = posix::read_file(obj1);
    posix::write_file_atomic(fake, copy.data(), copy.size(), false);
    p = verify(full);
    EXPECT_TRUE(has_problem(p, full, "duplicate_wal", seg(1))) << p.dump();
    EXPECT_TRUE(has_problem(p, full, "corrupt_wal", std::string(64, '0'))) << p.dump();
}

// A timeline switch is followed only through its history file.
TEST_F(Repo, TimelineSwitchNeedsItsHistoryFile) {
    const std::string full = backup("full", 1);
    push(1);
    write_text(t / "wal", segment_bytes(2, 2, 2));
    sk_msg msg{};
    ASSERT_EQ(sk_archive_push(&cfg, 7001, 150018, wal_segment_name(2, 2).c_str(),
                              (t / "wal").c_str(), &msg),
              SK_OK)
        << msg.text;
    json p = verify(full, true);
    EXPECT_TRUE(has_problem(p, full, "missing_wal", "00000002.history")) << p.dump();
    write_text(t / "h", "1\t0/2000000\tno recovery target specified\n");
    ASSERT_EQ(sk_archive_push(&cfg, 7001, 150018, "00000002.history", (t / "h").c_str(), &msg),
              SK_OK)
        << msg.text;
    EXPECT_EQ(verify(full, true), json::array());
}

TEST_F(Repo, FallbackToFullAndTimelineChecks) {
    sk_msg msg{};
    sk_backup_start start{};
    start.pgdata = pgdata.c_str();
    start.system_id = 7001;
    start.pg_version = 150018;
    start.type = "incremental";
    // No full backup: refused, or a full one with fallback_full.
    EXPECT_EQ(sk_backup_begin(&cfg, &start, &msg), nullptr);
    EXPECT_NE(std::string(msg.text).find("no full backup"), std::string::npos) << msg.text;
    start.fallback_full = 1;
    sk_backup *b = sk_backup_begin(&cfg, &start, &msg);
    ASSERT_NE(b, nullptr) << msg.text;
    EXPECT_STREQ(sk_backup_type(b), "full");
    EXPECT_STREQ(sk_backup_prior(b), "");
    EXPECT_NE(std::string(sk_backup_notice(b))
                  .find("taking a full backup instead of an "
                        "incremental backup"),
              std::string::npos);
    sk_backup_abort(b);
    sk_backup_free(b);

    const std::string full = backup("full", 1);
    // The server is on another timeline than the prior backup.
    start.fallback_full = 0;
    start.timeline = 2;
    EXPECT_EQ(sk_backup_begin(&cfg, &start, &msg), nullptr);
    EXPECT_NE(std::string(msg.text).find("timeline"), std::string::npos) << msg.text;
    char prior[64];
    EXPECT_EQ(sk_backup_choose_prior(&cfg, "differential", 2, prior, &msg), SK_NOT_FOUND);
    EXPECT_EQ(sk_backup_choose_prior(&cfg, "differential", 1, prior, &msg), SK_OK);
    EXPECT_EQ(std::string(prior), full);
    EXPECT_EQ(sk_backup_choose_prior(&cfg, "bogus", 1, prior, &msg), SK_ERROR);
    // Found only at finish: the label file names timeline 2.
    start.timeline = 0;
    b = sk_backup_begin(&cfg, &start, &msg);
    ASSERT_NE(b, nullptr) << msg.text;
    EXPECT_STREQ(sk_backup_prior(b), full.c_str());
    ASSERT_EQ(sk_backup_copy(b, nullptr, nullptr, &msg), SK_OK) << msg.text;
    std::string lf = "START WAL LOCATION: 0/3000028 (file 000000020000000000000003)\n"
                     "START TIMELINE: 2\n";
    sk_backup_stop st{"0/3000028", "0/3001000", lf.c_str(), "", 1, 2, nullptr};
    test::OwnedBackupResult res;
    EXPECT_EQ(sk_backup_finish(b, &st, &res, &msg), SK_ERROR);
    EXPECT_NE(std::string(msg.text).find("take a full backup"), std::string::npos) << msg.text;
    sk_backup_abort(b);
    sk_backup_free(b);
    // An explicit prior that does not exist.
    start.prior_label = "20200101-000000F";
    EXPECT_EQ(sk_backup_begin(&cfg, &start, &msg), nullptr);
    EXPECT_NE(std::string(msg.text).find("20200101-000000F"), std::string::npos);
}
