// Results crossing the C interface: allocated, never cut (capi.h), and the
// typed descriptions the tool reads instead (repo/info.h, verify reports).
#include "c_results.h"
#include "capi_support.h"
#include "info_json.h"
#include "repo/info.h"
#include "temp_dir.h"
#include "test_config.h"
#include "verify_json.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstring>
#include <string>

using namespace safekeep;
using safekeep::test::OwnedBackupResult;
using safekeep::test::TempDir;
using safekeep::test::write_text;

namespace {

const char *kLabelFile = "START WAL LOCATION: 0/2000028 (file 000000010000000000000002)\n"
                         "START TIMELINE: 1\n";

// A small data directory and repo1 (plus repo2 when two is set), both posix.
class CapiResults : public ::testing::Test {
  protected:
    TempDir t;
    std::string pgdata = t / "pgdata", repo1 = t / "repo1", repo2 = t / "repo2";
    sk_config cfg{};

    void SetUp() override {
        posix::make_dir(repo1, 0700);
        posix::make_dir(repo2, 0700);
        cfg = test::posix_config(repo1.c_str(), "", 1, 1);
        write_text(pgdata + "/PG_VERSION", "15\n");
        write_text(pgdata + "/global/pg_control", std::string(8192, 'c'));
        write_text(pgdata + "/base/1/1259", std::string(20000, 'd'));
    }

    void add_repo2() {
        cfg.repos[1].type = "posix";
        cfg.repos[1].path = repo2.c_str();
    }

    void backup(sk_backup_result *res) {
        sk_msg msg;
        sk_backup_start start{};
        start.pgdata = pgdata.c_str();
        start.system_id = 7001;
        start.pg_version = 150018;
        sk_backup *b = sk_backup_begin(&cfg, &start, &msg);
        ASSERT_NE(b, nullptr) << msg.text;
        EXPECT_EQ(sk_backup_copy(b, nullptr, nullptr, &msg), SK_OK) << msg.text;
        sk_backup_stop stop{"0/2000028", "0/3000000", kLabelFile, "",
                            1795311045,  1795311060,  nullptr};
        EXPECT_EQ(sk_backup_finish(b, &stop, res, &msg), SK_OK) << msg.text;
        sk_backup_free(b);
    }
};

} // namespace

TEST_F(CapiResults, BackupResultListsEveryRepositoryAsTypedOutcomes) {
    add_repo2();
    OwnedBackupResult res;
    backup(&res);
    ASSERT_NE(res.manifest_path, nullptr);
    EXPECT_EQ(std::string(res.manifest_path),
              repo1 + "/7001/backup/" + res.label + "/manifest.json");
    ASSERT_EQ(res.n_repos, 2);
    for (int i = 0; i < 2; i++) {
        EXPECT_EQ(res.repos[i].repo, i + 1);
        EXPECT_STREQ(res.repos[i].kind, "posix");
        EXPECT_EQ(res.repos[i].landed, 1);
        ASSERT_NE(res.repos[i].error, nullptr);
        EXPECT_STREQ(res.repos[i].error, "");
    }
    EXPECT_STREQ(res.type, "full");
    EXPECT_STREQ(res.prior, "");
}

TEST_F(CapiResults, LongRepositoryPathIsNotCut) {
    // Longer than the 1024 bytes manifest_path once had.
    std::string deep = repo1;
    while (deep.size() < 1500)
        deep += "/a-directory-name-of-some-length";
    posix::make_dirs(deep, 0700);
    cfg.repos[0].path = deep.c_str();
    OwnedBackupResult res;
    backup(&res);
    ASSERT_NE(res.manifest_path, nullptr);
    EXPECT_EQ(std::string(res.manifest_path),
              deep + "/7001/backup/" + res.label + "/manifest.json");
    EXPECT_TRUE(posix::exists(res.manifest_path));
}

TEST_F(CapiResults, FreeFunctionsReleaseAndAcceptEmpty) {
    OwnedBackupResult res;
    backup(&res);
    sk_backup_result_free(&res);
    EXPECT_EQ(res.manifest_path, nullptr);
    EXPECT_EQ(res.repos, nullptr);
    EXPECT_EQ(res.n_repos, 0);
    sk_backup_result_free(&res); // twice is fine
    sk_backup_result_free(nullptr);
    sk_swept_free(nullptr, 0);
    sk_recovery_figures zero{};
    sk_recovery_figures_free(&zero);
    sk_recovery_figures_free(nullptr);
}

TEST(CapiMessages, LongMessageEndsInDotsOnACharacterBoundary) {
    sk_msg msg;
    std::string text(SK_MSG_LEN - 5, 'x');
    text += "\xc3\xa9\xc3\xa9\xc3\xa9 and more"; // é: two bytes each
    capi_detail::set_msg(&msg, text.c_str());
    const std::string got = msg.text;
    ASSERT_LT(got.size(), static_cast<size_t>(SK_MSG_LEN));
    EXPECT_EQ(got.substr(got.size() - 3), "...");
    // What precedes the dots is a prefix made of whole characters.
    const std::string kept = got.substr(0, got.size() - 3);
    EXPECT_EQ(text.compare(0, kept.size(), kept), 0);
    EXPECT_NE(static_cast<unsigned char>(text[kept.size()]) & 0xC0, 0x80);

    capi_detail::set_msg(&msg, "short");
    EXPECT_STREQ(msg.text, "short");
}

TEST(CapiMessages, FixedFieldsRefuseWhatDoesNotFit) {
    char label[8];
    capi_detail::copy_str(label, sizeof label, "1234567");
    EXPECT_STREQ(label, "1234567");
    EXPECT_THROW(capi_detail::copy_str(label, sizeof label, "12345678"), Error);
}

TEST_F(CapiResults, TypedInfoMatchesTheJsonDocument) {
    OwnedBackupResult res;
    backup(&res);
    sk_msg msg;
    for (const char *seg :
         {"000000010000000000000003", "000000010000000000000002", "00000002.history"}) {
        write_text(t / "walfile", seg);
        ASSERT_EQ(sk_archive_push(&cfg, 7001, 150018, seg, (t / "walfile").c_str(), &msg), SK_OK)
            << msg.text;
    }
    RepoInfo info = read_repo_info(capi_detail::to_config(&cfg));
    EXPECT_EQ(info.stanza, "7001");
    ASSERT_EQ(info.backups.size(), 1u);
    EXPECT_EQ(info.backups[0].label, res.label);
    EXPECT_EQ(info.backups[0].manifest_path, std::string(res.manifest_path));
    EXPECT_TRUE(info.damaged.empty());
    EXPECT_TRUE(info.logical.empty());
    EXPECT_EQ(info.archive.min, "000000010000000000000002");
    EXPECT_EQ(info.archive.max, "000000010000000000000003");
    EXPECT_EQ(info.archive.segments, 2u);
    EXPECT_EQ(info.wal.size(), 3u);

    // The C interface's document is the same description, as JSON.
    char *doc = sk_repo_info_json(&cfg, 0, &msg);
    ASSERT_NE(doc, nullptr) << msg.text;
    EXPECT_EQ(nlohmann::json::parse(doc), repo_info_json(info, false));
    sk_free(doc);
    const nlohmann::json j = repo_info_json(info, true);
    EXPECT_EQ(j["stanza"], "7001");
    EXPECT_TRUE(j["backups"][0]["prior"].is_null());
    EXPECT_EQ(j["archive"]["count"], 2);
    EXPECT_EQ(j["archive"]["files"], 3);
    EXPECT_EQ(j["wal"].size(), 3u);
}

TEST_F(CapiResults, EmptyRepositoryHasNullStanzaAndArchiveBounds) {
    RepoInfo info = read_repo_info(capi_detail::to_config(&cfg));
    EXPECT_TRUE(info.backups.empty());
    EXPECT_EQ(info.archive.segments, 0u);
    const nlohmann::json j = repo_info_json(info, false);
    EXPECT_EQ(j["stanza"].is_null(), info.stanza.empty());
    EXPECT_TRUE(j["archive"]["min"].is_null());
    EXPECT_TRUE(j["archive"]["max"].is_null());
    EXPECT_FALSE(j.contains("wal"));
}

TEST_F(CapiResults, VerifyReportIsWhatTheCInterfaceSends) {
    OwnedBackupResult res;
    backup(&res);
    // No WAL archived: the backup's start segment is a missing_wal problem.
    const VerifyReport r = verify_backups(capi_detail::to_config(&cfg), "", false, {});
    ASSERT_EQ(r.checked.size(), 1u);
    ASSERT_FALSE(r.problems.empty());
    EXPECT_TRUE(std::any_of(r.problems.begin(), r.problems.end(),
                            [](const VerifyProblem &p) { return p.kind == "missing_wal"; }));
    EXPECT_EQ(verify_summary(r),
              "verified 1 backup(s): " + std::to_string(r.problems.size()) + " problem(s)");
    char *text = nullptr;
    sk_msg msg;
    ASSERT_EQ(sk_verify_backup(&cfg, nullptr, 0, nullptr, &text, &msg), SK_OK) << msg.text;
    EXPECT_EQ(nlohmann::json::parse(text), verify_problems_json(r.problems));
    EXPECT_EQ(std::string(msg.text), verify_summary(r));
    sk_free(text);
}
