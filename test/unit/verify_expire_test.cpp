// Verification and retention: verify on a real repository with damaged
// objects, chains and WAL; expire plans table-driven; expire applied.
#include "capi.h"
#include "repo/label.h"
#include "repo/retention.h"
#include "temp_dir.h"
#include "test_config.h"
#include "wal_segment.h"
#include "util/error.h"
#include "wal/lsn.h"
#include "wal/wal_name.h"
#include "storage/posix.h"

#include <gtest/gtest.h>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <unistd.h>

using namespace safekeep;
using nlohmann::json;
using safekeep::test::TempDir;
using safekeep::test::write_text;

namespace {

std::string page(uint64_t lsn, char fill) {
    std::string p(8192, fill);
    for (int i = 0; i < 4; i++) {
        p[i] = static_cast<char>((lsn >> 32) >> (8 * i));
        p[4 + i] = static_cast<char>(static_cast<uint32_t>(lsn) >> (8 * i));
    }
    return p;
}

std::string seg(uint64_t n) {
    return wal_segment_name(1, n);
}

class Repo : public ::testing::Test {
  protected:
    TempDir t;
    std::string pgdata, repo;
    sk_config cfg{};

    void SetUp() override {
        pgdata = t / "pgdata";
        repo = t / "repo";
        posix::make_dir(repo, 0700);
        cfg = safekeep::test::posix_config(repo.c_str(), "", 3, 2);
        write_text(pgdata + "/PG_VERSION", "15\n");
        write_text(pgdata + "/global/pg_control", std::string(512, 'c'));
        write_text(pgdata + "/global/1262", page(0x500000, 'A') + page(0x500000, 'B'));
        write_text(pgdata + "/base/1/16384", page(0x500000, 'a') + page(0x500000, 'b'));
    }

    // A backup whose WAL is segment n (start 0/n000028).
    std::string backup(const char *type, uint64_t n) {
        char lsn[32], stop[32];
        std::snprintf(lsn, sizeof lsn, "0/%llX", (unsigned long long)(n * kWalSegmentSize + 0x28));
        std::snprintf(stop, sizeof stop, "0/%llX",
                      (unsigned long long)(n * kWalSegmentSize + 0x1000));
        std::string lf = std::string("START WAL LOCATION: ") + lsn + " (file " + seg(n) +
                         ")\nSTART TIMELINE: 1\n";
        sk_msg msg{};
        sk_backup_start start{};
        start.pgdata = pgdata.c_str();
        start.system_id = 7001;
        start.pg_version = 150018;
        start.type = type;
        sk_backup *b = sk_backup_begin(&cfg, &start, &msg);
        EXPECT_NE(b, nullptr) << msg.text;
        if (!b)
            return "";
        EXPECT_EQ(sk_backup_copy(b, nullptr, nullptr, &msg), SK_OK) << msg.text;
        sk_backup_stop st{lsn, stop, lf.c_str(), "", 1795311045, 1795311060, nullptr};
        sk_backup_result res{};
        EXPECT_EQ(sk_backup_finish(b, &st, &res, &msg), SK_OK) << msg.text;
        std::string label = sk_backup_label(b);
        sk_backup_free(b);
        return label;
    }

    static std::string segment_bytes(uint64_t n, uint64_t pageaddr_segno, uint32_t tli = 1) {
        return safekeep::test::wal_segment_bytes(wal_segment_name(tli, n), 7001,
                                                 "segment " + std::to_string(n),
                                                 static_cast<int64_t>(pageaddr_segno));
    }

    void push(uint64_t n) { push_bytes(n, segment_bytes(n, n)); }

    void push_bytes(uint64_t n, const std::string &bytes) {
        write_text(t / "wal", bytes);
        sk_msg msg{};
        ASSERT_EQ(sk_archive_push(&cfg, 7001, 150018, seg(n).c_str(), (t / "wal").c_str(), &msg),
                  SK_OK)
            << msg.text;
    }

    json verify(const std::string &label, bool to_newest = false, int expect_rc = SK_OK) {
        char *out = nullptr;
        sk_msg msg{};
        int rc = sk_verify_backup(&cfg, label.empty() ? nullptr : label.c_str(), to_newest ? 1 : 0,
                                  nullptr, &out, &msg);
        EXPECT_EQ(rc, expect_rc) << msg.text;
        if (rc != SK_OK)
            return json(msg.text);
        json j = json::parse(out);
        sk_free(out);
        return j;
    }

    std::string object(const std::string &label, const std::string &rel) {
        return repo + "/7001/backup/" + label + "/data/" + rel + ".zst";
    }
};

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
    sk_backup_result res{};
    EXPECT_EQ(sk_backup_finish(b, &st, &res, &msg), SK_ERROR);
    EXPECT_NE(std::string(msg.text).find("take a full backup"), std::string::npos) << msg.text;
    sk_backup_abort(b);
    sk_backup_free(b);
    // An explicit prior that does not exist.
    start.prior_label = "20200101-000000F";
    EXPECT_EQ(sk_backup_begin(&cfg, &start, &msg), nullptr);
    EXPECT_NE(std::string(msg.text).find("20200101-000000F"), std::string::npos);
}

// ---- retention plans --------------------------------------------------------

namespace {

constexpr int64_t kDay = 86400;
constexpr int64_t kBase = 1767225600; // 2026-01-01 00:00:00 UTC, a Thursday

struct B {
    const char *name;  // symbolic: F1, F1_I1, ...
    const char *prior; // symbolic or ""
    double day;        // stop time in days after kBase
};

struct Case {
    const char *title;
    const char *policy;
    double now_day;
    std::vector<B> backups;
    std::set<std::string> kept;
    std::map<std::string, std::string> reason_contains;
};

std::vector<B> standard() {
    return {{"F1", "", 10}, {"F1_I1", "F1", 11}, {"F1_I2", "F1_I1", 12},
            {"F2", "", 20}, {"F2_D1", "F2", 21}, {"F2_I1", "F2_D1", 22},
            {"F3", "", 30}, {"F3_I1", "F3", 31}};
}

// Real labels for the symbolic names (times sort like the symbols).
std::vector<RetentionBackup> build(const std::vector<B> &bs,
                                   std::map<std::string, std::string> &label_of) {
    std::vector<RetentionBackup> out;
    uint64_t segno = 10;
    for (const auto &b : bs) {
        int64_t t = kBase + static_cast<int64_t>(b.day * kDay);
        std::string name = b.name;
        std::string label;
        if (name.find('_') == std::string::npos)
            label = format_full_label(t - 600);
        else {
            std::string stamp = format_full_label(t - 600);
            stamp.back() = name[name.find('_') + 1];
            label = label_of[name.substr(0, name.find('_'))] + "_" + stamp;
        }
        label_of[name] = label;
        RetentionBackup r;
        r.label = label;
        r.type = name.find("_I") != std::string::npos   ? "incremental"
                 : name.find("_D") != std::string::npos ? "differential"
                                                        : "full";
        r.prior = *b.prior ? label_of[b.prior] : "";
        if (!r.prior.empty())
            r.depends_on.push_back(r.prior);
        r.start_wal = seg(segno);
        r.stop_wal = seg(segno + 1);
        segno += 10;
        r.stop_time = t;
        out.push_back(r);
    }
    return out;
}

} // namespace

TEST(Retention, PlansForPolicies) {
    const std::vector<Case> cases = {
        {"keep one full: its chain stays",
         R"({"full":1})",
         100,
         standard(),
         {"F3", "F3_I1"},
         {{"F3", "newest full backup"}, {"F3_I1", "depends on kept full backup"}}},
        {"keep two fulls",
         R"({"full":2})",
         100,
         standard(),
         {"F2", "F2_D1", "F2_I1", "F3", "F3_I1"},
         {{"F2", "one of the 2 newest full backups"}}},
        {"age keeps the chain a young incremental depends on",
         R"({"days":80})",
         100,
         standard(),
         {"F2", "F2_D1", "F2_I1", "F3", "F3_I1"},
         {{"F2", "needed by kept backup"}, {"F2_D1", "younger than 80 days"}}},
        {"nothing young: newest full and newest backup survive",
         R"({"days":1})",
         100,
         standard(),
         {"F3", "F3_I1"},
         {{"F3_I1", "newest backup"}, {"F1", "not kept"}}},
        {"daily keeps the newest of each day, plus what it needs",
         R"({"daily":2})",
         30.9,
         {{"F1", "", 29.1}, {"F1_I1", "F1", 29.5}, {"F2", "", 30.1}, {"F2_I1", "F2", 30.6}},
         {"F1", "F1_I1", "F2", "F2_I1"},
         {{"F1_I1", "daily 2026-01-30"}, {"F1", "needed by kept backup"}}},
        {"daily window excludes older days",
         R"({"daily":1})",
         30.9,
         {{"F1", "", 29.1}, {"F1_I1", "F1", 29.5}, {"F2", "", 30.1}, {"F2_I1", "F2", 30.6}},
         {"F2", "F2_I1"},
         {{"F2_I1", "daily 2026-01-31"}}},
        {"weekly, monthly, yearly",
         R"({"weekly":2,"monthly":3,"yearly":2})",
         400,
         {{"F1", "", 10},
          {"F2", "", 40},
          {"F3", "", 300},
          {"F4", "", 330},
          {"F5", "", 360},
          {"F6", "", 385},
          {"F7", "", 392},
          {"F8", "", 396}},
         // yearly: newest of 2026 (F5, day 360), of 2027 (F8); monthly: Dec 2026 (F5),
         // Jan 2027 (F7 day 392 = Jan 28; F8 day 396 = Feb 1), Feb 2027 (F8);
         // weekly: F7 (week of Jan 25), F8 (week of Feb 1)
         {"F5", "F7", "F8"},
         {{"F5", "yearly 2026"}, {"F8", "weekly 2027-W05"}, {"F7", "monthly 2027-01"}}},
    };
    for (const auto &c : cases) {
        std::map<std::string, std::string> label_of;
        auto backups = build(c.backups, label_of);
        std::map<std::string, std::string> name_of;
        for (const auto &[n, l] : label_of)
            name_of[l] = n;
        int64_t now = 0;
        RetentionPolicy p = parse_retention_policy(c.policy, &now);
        ExpirePlan plan = plan_expire(backups, p, kBase + static_cast<int64_t>(c.now_day * kDay));
        std::set<std::string> kept;
        std::map<std::string, std::string> reasons;
        for (const auto &d : plan.backups) {
            if (d.keep)
                kept.insert(name_of[d.label]);
            reasons[name_of[d.label]] = d.reason;
        }
        EXPECT_EQ(kept, c.kept) << c.title;
        for (const auto &[n, r] : c.reason_contains)
            EXPECT_NE(reasons[n].find(r), std::string::npos)
                << c.title << ": " << n << " reason \"" << reasons[n] << "\"";
        // Invariants: every kept backup's prior is kept; the newest full is kept.
        for (const auto &b : backups) {
            if (kept.count(name_of[b.label]) && !b.prior.empty()) {
                EXPECT_TRUE(kept.count(name_of[b.prior])) << c.title << ": " << b.label;
            }
        }
    }
}

TEST(Retention, WalPlanModes) {
    std::map<std::string, std::string> label_of;
    auto backups = build(standard(), label_of); // starts at segments 10, 20, ... 80
    RetentionPolicy p = parse_retention_policy(R"({"full":2})");
    ExpirePlan all = plan_expire(backups, p, kBase + 100 * kDay);
    EXPECT_TRUE(all.wal.remove);
    EXPECT_EQ(all.wal.remove_before, seg(40)); // F2's start
    EXPECT_TRUE(wal_removable(all.wal, seg(39)));
    EXPECT_TRUE(wal_removable(all.wal, seg(39) + ".partial"));
    EXPECT_TRUE(wal_removable(all.wal, "000000020000000000000005"));
    EXPECT_FALSE(wal_removable(all.wal, seg(40)));
    EXPECT_FALSE(wal_removable(all.wal, seg(45))); // between kept backups
    EXPECT_FALSE(wal_removable(all.wal, "00000002.history"));

    p = parse_retention_policy(R"({"full":2,"wal":"consistent"})");
    ExpirePlan cons = plan_expire(backups, p, kBase + 100 * kDay);
    EXPECT_EQ(cons.wal.remove_before, seg(80)); // newest kept start
    EXPECT_FALSE(wal_removable(cons.wal, seg(40)));
    EXPECT_FALSE(wal_removable(cons.wal, seg(41))); // F2's stop
    EXPECT_TRUE(wal_removable(cons.wal, seg(45)));  // between backups: gone
    EXPECT_FALSE(wal_removable(cons.wal, seg(70)));
    EXPECT_FALSE(wal_removable(cons.wal, seg(80)));
    EXPECT_FALSE(wal_removable(cons.wal, seg(99))); // after the newest backup

    // No backups: nothing may go.
    ExpirePlan none = plan_expire({}, p, kBase);
    EXPECT_FALSE(none.wal.remove);
    EXPECT_FALSE(wal_removable(none.wal, seg(1)));
}

TEST(Retention, PinnedBackupsAndTheirWalAreKept) {
    std::map<std::string, std::string> label_of;
    auto backups = build(standard(), label_of); // starts at segments 10, 20, ... 80
    RetentionPolicy p = parse_retention_policy(R"({"full":1})");
    for (auto &b : backups)
        b.pinned = "older than a damaged backup";
    ExpirePlan plan = plan_expire(backups, p, kBase + 100 * kDay);
    for (const auto &d : plan.backups) {
        EXPECT_TRUE(d.keep) << d.label;
        EXPECT_NE(d.reason.find("older than a damaged backup"), std::string::npos) << d.reason;
    }
    EXPECT_FALSE(wal_removable(plan.wal, seg(10)));
}

TEST(Retention, PolicyValidation) {
    RetentionPolicy d = parse_retention_policy("{}");
    EXPECT_EQ(d.daily, 30);
    EXPECT_EQ(d.weekly, 12);
    EXPECT_EQ(d.monthly, 12);
    EXPECT_EQ(d.yearly, 7);
    EXPECT_EQ(d.full, 0);
    RetentionPolicy f = parse_retention_policy(R"({"full":2,"wal":"consistent"})");
    EXPECT_EQ(f.full, 2);
    EXPECT_EQ(f.daily, 0);
    EXPECT_EQ(f.wal, WalRetention::Consistent);
    auto fails = [](const char *text, const char *needle) {
        try {
            parse_retention_policy(text);
            ADD_FAILURE() << text << " accepted";
        } catch (const Error &e) {
            EXPECT_NE(std::string(e.what()).find(needle), std::string::npos)
                << text << ": " << e.what();
        }
    };
    fails(R"({"full":-1})", "full must be between 0 and 1000");
    fails(R"({"days":40000})", "days must be between 0 and 36500");
    fails(R"({"daily":"x"})", "daily must be an integer");
    fails(R"({"ful":1})", "unknown retention setting \"ful\"");
    fails(R"({"wal":"some"})", "wal must be");
    fails(R"({"full":0,"days":0})", "keeps nothing");
    fails("[1]", "must be a JSON object");
    fails("{", "not valid JSON");
}

TEST_F(Repo, ExpireDryRunThenApply) {
    const std::string f1 = backup("full", 1);
    const std::string i1 = backup("incremental", 2);
    const std::string f2 = backup("full", 3);
    const std::string i2 = backup("incremental", 4);
    for (uint64_t n = 1; n <= 5; n++)
        push(n);
    sk_msg msg{};
    char *out = nullptr;
    ASSERT_EQ(sk_expire(&cfg, R"({"full":5,"days":-1})", 1, &out, &msg), SK_ERROR);
    EXPECT_NE(std::string(msg.text).find("days must be between"), std::string::npos);

    ASSERT_EQ(sk_expire(&cfg, R"({"full":1})", 1, &out, &msg), SK_OK) << msg.text;
    json plan = json::parse(out);
    sk_free(out);
    ASSERT_EQ(plan["backups"].size(), 4u);
    EXPECT_EQ(plan["backups"][0]["label"], f1);
    EXPECT_EQ(plan["backups"][0]["action"], "expire");
    EXPECT_EQ(plan["backups"][1]["action"], "expire");
    EXPECT_EQ(plan["backups"][2]["action"], "keep");
    EXPECT_EQ(plan["backups"][3]["action"], "keep");
    EXPECT_EQ(plan["wal"]["remove_before"], seg(3));
    EXPECT_EQ(plan["wal"]["removed_count"], 2);
    EXPECT_TRUE(plan["dry_run"].get<bool>());
    EXPECT_NE(std::string(msg.text).find("would expire 2 backup(s)"), std::string::npos);
    // Dry run changed nothing.
    EXPECT_TRUE(posix::exists(repo + "/7001/backup/" + f1 + "/manifest.json"));
    EXPECT_EQ(verify(""), json::array());

    ASSERT_EQ(sk_expire(&cfg, R"({"full":1})", 0, &out, &msg), SK_OK) << msg.text;
    sk_free(out);
    EXPECT_FALSE(posix::exists(repo + "/7001/backup/" + f1));
    EXPECT_FALSE(posix::exists(repo + "/7001/backup/" + i1));
    EXPECT_TRUE(posix::exists(repo + "/7001/backup/" + i2 + "/manifest.json"));
    char *doc = sk_repo_info_json(&cfg, 0, &msg);
    json info = json::parse(doc);
    sk_free(doc);
    ASSERT_EQ(info["backups"].size(), 2u);
    EXPECT_EQ(info["archive"]["min"], seg(3));
    EXPECT_EQ(info["archive"]["count"], 3);
    // What is left still verifies (WAL to the newest too) and restores.
    EXPECT_EQ(verify("", true), json::array());
    sk_restore_opts o{};
    std::string dest = t / "r";
    o.pgdata = dest.c_str();
    o.label = i2.c_str();
    o.tool_path = "pg_safekeep";
    sk_restore_result rr{};
    EXPECT_EQ(sk_restore(&cfg, &o, nullptr, &rr, &msg), SK_OK) << msg.text;
    EXPECT_EQ(posix::read_file(dest + "/base/1/16384"), posix::read_file(pgdata + "/base/1/16384"));
}
