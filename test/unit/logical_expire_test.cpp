// Retention of logical backups: the policy parsed, the plan table-driven
// (kinds and databases counted apart, the days rule, the newest of each
// kind always kept), and the plan applied to a repository through sk_expire.
#include "pg_safekeep/capi.h"
#include "logical/expire.h"
#include "temp_dir.h"
#include "test_config.h"
#include "util/error.h"

#include <algorithm>
#include <gtest/gtest.h>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

using namespace safekeep;
using nlohmann::json;
using safekeep::test::TempDir;
using safekeep::test::write_text;

namespace {

const int64_t kDay = 86400;
const int64_t kBase = 1780000000; // 2026-05-28

// Short names in the tables: F* full, S* schema-only; db "b" if given.
struct Spec {
    std::string name;
    double day; // stop time, days after kBase
    std::string db = "app";
};

std::string label_of(size_t i) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "20260601-%06zuL", i);
    return buf;
}

// Labels follow the order of specs (their times need not: labels decide).
std::vector<LogicalEntry> build(const std::vector<Spec> &specs,
                                std::map<std::string, std::string> &name_of) {
    std::vector<LogicalEntry> out;
    for (size_t i = 0; i < specs.size(); i++) {
        LogicalEntry e;
        e.label = label_of(i);
        e.database = specs[i].db;
        e.schema_only = specs[i].name[0] == 'S';
        e.stop_time = kBase + static_cast<int64_t>(specs[i].day * kDay);
        name_of[e.label] = specs[i].name;
        out.push_back(e);
    }
    return out;
}

struct Case {
    const char *title;
    LogicalRetention policy;
    double now_day;
    std::vector<Spec> backups;
    std::set<std::string> kept;
    std::map<std::string, std::string> reason_contains;
};

} // namespace

TEST(LogicalRetention, PolicyParsing) {
    LogicalRetention d = parse_logical_retention("{}");
    EXPECT_EQ(d.count, 7);
    EXPECT_EQ(d.days, 7);
    EXPECT_EQ(parse_logical_retention("").count, 7);
    LogicalRetention c = parse_logical_retention(R"({"count":3})");
    EXPECT_EQ(c.count, 3);
    EXPECT_EQ(c.days, 0); // once one is given, the other is off
    LogicalRetention off = parse_logical_retention(R"({"count":0,"days":0})");
    EXPECT_EQ(off.count, 0);
    EXPECT_EQ(off.days, 0);
    auto fails = [](const char *text, const char *needle) {
        try {
            parse_logical_retention(text);
            ADD_FAILURE() << text << " accepted";
        } catch (const Error &e) {
            EXPECT_NE(std::string(e.what()).find(needle), std::string::npos)
                << text << ": " << e.what();
        }
    };
    fails(R"({"count":-1})", "logical retention count must be between 0 and 1000, not -1");
    fails(R"({"days":36501})", "logical retention days must be between 0 and 36500");
    fails(R"({"count":"x"})", "logical retention count must be an integer");
    fails(R"({"count":1.5})", "must be an integer");
    fails(R"({"full":1})", "unknown logical retention setting \"full\"");
    fails("[1]", "must be a JSON object");
    fails("3", "must be a JSON object");
    fails("{", "not valid JSON");
}

TEST(LogicalRetention, Plans) {
    const std::vector<Spec> mixed = {{"F1", 1}, {"S1", 1.1}, {"F2", 2},  {"S2", 2.1},
                                     {"F3", 3}, {"F4", 4},   {"S3", 4.1}};
    const std::vector<Case> cases = {
        {"count 2: the newest two of each kind, counted apart",
         {2, 0},
         10,
         mixed,
         {"F3", "F4", "S2", "S3"},
         {{"F4", "newest full logical backup of database app"},
          {"F3", "one of the 2 newest full logical backups of database app"},
          {"S3", "newest schema-only logical backup of database app"},
          {"S1", "not kept by the logical retention policy"}}},
        {"count 1: exactly the newest of each kind", {1, 0}, 10, mixed, {"F4", "S3"}, {}},
        {"all of one kind: the other kind's rules never push it out",
         {2, 0},
         10,
         {{"S1", 1}, {"S2", 2}, {"S3", 3}, {"S4", 4}, {"S5", 5}},
         {"S4", "S5"},
         {{"S5", "newest schema-only"}}},
        {"many data dumps do not push out an old schema-only one",
         {1, 0},
         10,
         {{"S1", 1}, {"F1", 2}, {"F2", 3}, {"F3", 4}},
         {"S1", "F3"},
         {{"S1", "newest schema-only logical backup"}}},
        {"count 0 and days 0: retention off, every backup kept",
         {0, 0},
         1000,
         mixed,
         {"F1", "F2", "F3", "F4", "S1", "S2", "S3"},
         {{"F1", "logical retention is off"}}},
        {"days 3: younger than three days kept, and the newest of each kind",
         {0, 3},
         5,
         {{"F1", 0.5}, {"F2", 1.5}, {"S1", 1.6}, {"F3", 2.5}, {"F4", 4}},
         {"F3", "F4", "S1"},
         {{"F3", "younger than 3 days"}, {"S1", "newest schema-only"}, {"F2", "not kept"}}},
        {"newest of each kind kept however old",
         {0, 1},
         400,
         mixed,
         {"F4", "S3"},
         {{"F4", "newest full"}, {"S3", "newest schema-only"}}},
        {"count or days: either rule keeps",
         {1, 2},
         4.5,
         mixed,
         {"F3", "F4", "S3"},
         {{"F3", "younger than 2 days"}, {"F4", "newest full logical backup of database app"}}},
        {"databases counted apart",
         {1, 0},
         10,
         {{"F1", 1, "a"}, {"F2", 2, "b"}, {"F3", 3, "a"}, {"F4", 4, "a"}, {"S1", 5, "b"}},
         {"F2", "F4", "S1"},
         {{"F2", "newest full logical backup of database b"}}},
        {"labels decide which is newest, not the order given",
         {1, 0},
         10,
         {{"F1", 9}, {"F2", 1}},
         {"F2"},
         {}},
    };
    for (const auto &c : cases) {
        std::map<std::string, std::string> name_of;
        std::vector<LogicalEntry> backups = build(c.backups, name_of);
        // The plan does not depend on the input order.
        std::reverse(backups.begin(), backups.end());
        auto plan =
            plan_logical_expire(backups, c.policy, kBase + static_cast<int64_t>(c.now_day * kDay));
        ASSERT_EQ(plan.size(), c.backups.size()) << c.title;
        std::set<std::string> kept;
        std::map<std::string, std::string> reasons;
        for (size_t i = 0; i < plan.size(); i++) {
            EXPECT_EQ(plan[i].label, label_of(i)) << c.title << ": label order";
            if (plan[i].keep)
                kept.insert(name_of[plan[i].label]);
            reasons[name_of[plan[i].label]] = plan[i].reason;
        }
        EXPECT_EQ(kept, c.kept) << c.title;
        for (const auto &[n, r] : c.reason_contains)
            EXPECT_NE(reasons[n].find(r), std::string::npos)
                << c.title << ": " << n << " reason \"" << reasons[n] << "\"";
    }
    EXPECT_TRUE(plan_logical_expire({}, {1, 1}, kBase).empty());
}

namespace {

class LogicalRepo : public ::testing::Test {
  protected:
    TempDir t;
    std::string repo;
    sk_config cfg{};

    void SetUp() override {
        repo = t / "repo";
        posix::make_dir(repo, 0700);
        cfg = safekeep::test::posix_config(repo.c_str(), "main", 3, 2);
    }

    std::string dir(const std::string &label) const { return repo + "/main/logical/" + label; }

    // A logical backup as logical_dump leaves it: dump.zst, then manifest.json.
    void add(const std::string &label, bool schema_only, const char *stop_time) {
        write_text(dir(label) + "/dump.zst", "dump of " + label);
        json m = {{"label", label},          {"backup_type", "logical"},
                  {"database", "app"},       {"schema_only", schema_only},
                  {"tables", json::array()}, {"object", "dump.zst"},
                  {"dump_size", 100},        {"stored_size", 40},
                  {"sha256", "00"},          {"schema_hash", "ab" + label},
                  {"start_time", stop_time}, {"stop_time", stop_time}};
        write_text(dir(label) + "/manifest.json", m.dump());
    }

    json expire(const char *policy, bool dry_run, sk_msg &msg) {
        char *out = nullptr;
        EXPECT_EQ(sk_expire(&cfg, policy, dry_run ? 1 : 0, &out, &msg), SK_OK) << msg.text;
        json plan = out ? json::parse(out)["repositories"][0] : json();
        sk_free(out);
        return plan;
    }

    json info() {
        sk_msg msg{};
        char *doc = sk_repo_info_json(&cfg, 0, &msg);
        EXPECT_NE(doc, nullptr) << msg.text;
        json j = doc ? json::parse(doc) : json();
        sk_free(doc);
        return j;
    }
};

} // namespace

TEST_F(LogicalRepo, ExpireDryRunThenApplyManifestFirst) {
    add("20260101-000000L", false, "2026-01-01T00:00:05Z");
    add("20260102-000000L", true, "2026-01-02T00:00:05Z");
    add("20260103-000000L", false, "2026-01-03T00:00:05Z");
    add("20260104-000000L", false, "2026-01-04T00:00:05Z");
    // Half removed (or unfinished): no manifest, so neither listed nor expired.
    write_text(dir("20251231-000000L") + "/dump.zst", "leftover");

    json listed = info()["logical_backups"];
    ASSERT_EQ(listed.size(), 4u);
    EXPECT_EQ(listed[1]["label"], "20260102-000000L");
    EXPECT_EQ(listed[1]["kind"], "schema-only");
    EXPECT_EQ(listed[1]["database"], "app");
    EXPECT_EQ(listed[1]["schema_hash"], "ab20260102-000000L");
    EXPECT_EQ(listed[1]["stop_time"], 1767312005);
    EXPECT_EQ(listed[0]["kind"], "full");
    EXPECT_EQ(listed[0]["stored_size"], 40);

    // A bad logical policy is refused before anything is removed.
    sk_msg msg{};
    char *out = nullptr;
    EXPECT_EQ(sk_expire(&cfg, R"({"logical":{"count":-1}})", 0, &out, &msg), SK_ERROR);
    EXPECT_NE(std::string(msg.text).find("logical retention count must be between 0 and 1000"),
              std::string::npos)
        << msg.text;
    EXPECT_EQ(sk_expire(&cfg, R"({"logical":{"keep":1}})", 0, &out, &msg), SK_ERROR);
    EXPECT_NE(std::string(msg.text).find("unknown logical retention setting \"keep\""),
              std::string::npos)
        << msg.text;

    const char *policy = R"({"logical":{"count":1,"days":0}})";
    json plan = expire(policy, true, msg);
    ASSERT_EQ(plan["backups"].size(), 4u);
    std::vector<std::string> actions;
    for (const auto &b : plan["backups"]) {
        EXPECT_EQ(b["type"], "logical");
        actions.push_back(b["label"].get<std::string>() + "=" + b["action"].get<std::string>());
    }
    EXPECT_EQ(actions,
              (std::vector<std::string>{"20260101-000000L=expire", "20260102-000000L=keep",
                                        "20260103-000000L=expire", "20260104-000000L=keep"}));
    EXPECT_EQ(plan["logical"]["removed_count"], 2);
    EXPECT_EQ(plan["logical"]["removed_bytes"], 80);
    EXPECT_NE(std::string(msg.text).find("would expire 2 backup(s) (2 logical)"), std::string::npos)
        << msg.text;
    EXPECT_TRUE(posix::exists(dir("20260101-000000L") + "/manifest.json"));

    plan = expire(policy, false, msg);
    EXPECT_NE(std::string(msg.text).find("expired 2 backup(s) (2 logical)"), std::string::npos);
    EXPECT_FALSE(posix::exists(dir("20260101-000000L")));
    EXPECT_FALSE(posix::exists(dir("20260103-000000L")));
    EXPECT_TRUE(posix::exists(dir("20260102-000000L") + "/dump.zst"));
    EXPECT_TRUE(posix::exists(dir("20260104-000000L") + "/manifest.json"));
    EXPECT_TRUE(posix::exists(dir("20251231-000000L") + "/dump.zst")); // not a backup: untouched
    listed = info()["logical_backups"];
    ASSERT_EQ(listed.size(), 2u);
    EXPECT_EQ(listed[0]["label"], "20260102-000000L");
    EXPECT_EQ(listed[1]["label"], "20260104-000000L");

    // Again: nothing more to remove; the newest of each kind stays.
    plan = expire(policy, false, msg);
    EXPECT_EQ(plan["logical"]["removed_count"], 0);
    EXPECT_EQ(info()["logical_backups"].size(), 2u);
}

TEST_F(LogicalRepo, DefaultPolicyKeepsAWeekAndSeven) {
    // Nine old full backups: the default (count 7, days 7) keeps the newest seven.
    for (int i = 1; i <= 9; i++) {
        char label[32], stop[32];
        std::snprintf(label, sizeof label, "202001%02d-000000L", i);
        std::snprintf(stop, sizeof stop, "2020-01-%02dT00:00:01Z", i);
        add(label, false, stop);
    }
    sk_msg msg{};
    json plan = expire("{}", false, msg);
    EXPECT_EQ(plan["logical"]["count"], 7);
    EXPECT_EQ(plan["logical"]["days"], 7);
    EXPECT_EQ(plan["logical"]["removed_count"], 2);
    EXPECT_FALSE(posix::exists(dir("20200101-000000L")));
    EXPECT_FALSE(posix::exists(dir("20200102-000000L")));
    EXPECT_TRUE(posix::exists(dir("20200103-000000L") + "/manifest.json"));
    EXPECT_EQ(info()["logical_backups"].size(), 7u);
}
