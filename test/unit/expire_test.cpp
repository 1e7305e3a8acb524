// Retention: expire plans table-driven, then expire applied to a repository.
#include "verify_repo.h"

#include "repo/label.h"
#include "repo/retention.h"
#include "repo/retention_rules.h"
#include "util/error.h"

#include <gtest/gtest.h>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

using namespace safekeep;
using namespace safekeep::test;
using nlohmann::json;

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
    json all = json::parse(out);
    sk_free(out);
    ASSERT_EQ(all["repositories"].size(), 1u);
    json plan = all["repositories"][0];
    EXPECT_EQ(plan["repository"], 1);
    EXPECT_EQ(plan["policy"]["full"], 1);
    EXPECT_EQ(plan["policy"]["daily"], 0);
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
