// The leftover sweep (repo/sweep.h) through the C API, over posix
// repositories in a temp dir: directories without a manifest go, in every
// repository; backups with a manifest (even a damaged one), spared labels,
// names that are not labels and skipped kinds stay.
#include "pg_safekeep/capi.h"
#include "os/files.h"
#include "temp_dir.h"
#include "test_config.h"

#include <gtest/gtest.h>
#include <map>
#include <string>

using namespace safekeep;
using safekeep::test::TempDir;
using safekeep::test::write_text;

namespace {

const char *kStanza = "7000000000000000001";

struct Repo {
    TempDir dir;
    std::string stanza() const { return dir / kStanza; }
    std::string backup(const std::string &label) const {
        return posix::join(stanza(), "backup/" + label);
    }
    std::string logical(const std::string &label) const {
        return posix::join(stanza(), "logical/" + label);
    }
    void put(const std::string &path, const std::string &text = "x") const {
        write_text(path, text);
    }
};

// location -> "repoN kind label[ expired]" of everything the sweep removed.
std::map<std::string, std::string> sweep(const sk_config &cfg, const sk_sweep_opts *opts,
                                         int expect_rc = SK_OK) {
    sk_swept *removed = nullptr;
    int n = -1;
    sk_msg msg;
    int rc = sk_sweep_leftovers(&cfg, opts, &removed, &n, &msg);
    EXPECT_EQ(rc, expect_rc) << msg.text;
    std::map<std::string, std::string> out;
    for (int i = 0; i < n; i++)
        out[removed[i].location] = "repo" + std::to_string(removed[i].repo) + " " +
                                   removed[i].kind + " " + removed[i].label +
                                   (removed[i].expired ? " expired" : "");
    sk_swept_free(removed, n);
    return out;
}

} // namespace

TEST(Sweep, RemovesOnlyDirectoriesWithoutManifest) {
    Repo r1, r2;
    r1.put(posix::join(r1.stanza(), "repo.json"), "{}");
    r2.put(posix::join(r2.stanza(), "repo.json"), "{}");
    const std::string complete = "20260101-000000F", damaged = "20260102-000000F",
                      failed = "20260103-000000F", orphan = "20260101-000000F_20260101-010000I",
                      running = "20260104-000000F", lcomplete = "20260101-000000L",
                      lfailed = "20260102-000000L";
    r1.put(r1.backup(complete) + "/manifest.json", "{\"label\":\"x\"}");
    r1.put(r1.backup(complete) + "/data/base/1/1234.zst");
    r1.put(r1.backup(damaged) + "/manifest.json", "{\"lab"); // torn: still a backup
    r1.put(r1.backup(damaged) + "/data/base/1/1234.zst");
    r1.put(r1.backup(failed) + "/data/base/1/1234.zst"); // failed full
    r1.put(r1.backup(orphan) + "/data/base/1/1234.zst"); // expire cut short
    r1.put(posix::join(r1.stanza(), "expired/" + orphan), "{}");
    posix::make_dirs(r1.backup(running), 0700); // the job running now
    posix::make_dirs(posix::join(r1.stanza(), "backup/not-a-label"), 0700);
    r1.put(r1.logical(lcomplete) + "/manifest.json", "{}");
    r1.put(r1.logical(lcomplete) + "/dump.zst");
    r1.put(r1.logical(lfailed) + "/dump.zst");
    // repo2: the same complete backup, and a directory the fan-out left when
    // it dropped repo2 in the middle of the failed one.
    r2.put(r2.backup(complete) + "/manifest.json", "{}");
    r2.put(r2.backup(failed) + "/data/base/1/1234.zst");

    sk_config cfg = test::posix_config(r1.dir.path().c_str(), kStanza, 1, 1);
    cfg.repos[1].type = "posix";
    cfg.repos[1].path = r2.dir.path().c_str();
    const char *spare[] = {running.c_str()};
    sk_sweep_opts opts{spare, 1, 0, 0};
    auto removed = sweep(cfg, &opts);

    EXPECT_EQ(removed.size(), 4u);
    EXPECT_EQ(removed[r1.backup(failed)], "repo1 backup " + failed);
    EXPECT_EQ(removed[r1.backup(orphan)], "repo1 backup " + orphan + " expired");
    EXPECT_EQ(removed[r1.logical(lfailed)], "repo1 logical " + lfailed);
    EXPECT_EQ(removed[r2.backup(failed)], "repo2 backup " + failed);
    EXPECT_FALSE(posix::exists(r2.backup(failed)));
    EXPECT_FALSE(posix::exists(r1.backup(failed)));
    EXPECT_FALSE(posix::exists(r1.backup(orphan)));
    EXPECT_FALSE(posix::exists(r1.logical(lfailed)));

    EXPECT_TRUE(posix::exists(r1.backup(complete) + "/data/base/1/1234.zst"));
    EXPECT_TRUE(posix::exists(r1.backup(damaged) + "/data/base/1/1234.zst"));
    EXPECT_TRUE(posix::exists(r1.backup(damaged) + "/manifest.json"));
    EXPECT_TRUE(posix::exists(r1.backup(running)));
    EXPECT_TRUE(posix::exists(posix::join(r1.stanza(), "backup/not-a-label")));
    EXPECT_TRUE(posix::exists(r1.logical(lcomplete) + "/dump.zst"));
    EXPECT_TRUE(posix::exists(r2.backup(complete) + "/manifest.json"));
    // Retention's note stays: it is how the catalog tells expired from missing.
    EXPECT_TRUE(posix::exists(posix::join(r1.stanza(), "expired/" + orphan)));

    // Nothing left: a second sweep removes nothing.
    EXPECT_TRUE(sweep(cfg, &opts).empty());
}

TEST(Sweep, CountsEveryRepositorysLeftover) {
    Repo r1, r2;
    const std::string failed = "20260103-000000F";
    r1.put(r1.backup(failed) + "/data/x");
    r2.put(r2.backup(failed) + "/data/x");
    sk_config cfg = test::posix_config(r1.dir.path().c_str(), kStanza, 1, 1);
    cfg.repos[1].type = "posix";
    cfg.repos[1].path = r2.dir.path().c_str();
    sk_swept *removed = nullptr;
    int n = 0;
    sk_msg msg;
    ASSERT_EQ(sk_sweep_leftovers(&cfg, nullptr, &removed, &n, &msg), SK_OK) << msg.text;
    ASSERT_EQ(n, 2);
    EXPECT_EQ(removed[0].repo, 1);
    EXPECT_EQ(removed[1].repo, 2);
    sk_swept_free(removed, n);
}

TEST(Sweep, SkippedKindsStay) {
    Repo r;
    const std::string failed = "20260103-000000F", lfailed = "20260102-000000L";
    r.put(r.backup(failed) + "/data/x");
    r.put(r.logical(lfailed) + "/dump.zst");
    sk_config cfg = test::posix_config(r.dir.path().c_str(), kStanza, 1, 1);
    sk_sweep_opts no_logical{nullptr, 0, 0, 1};
    auto removed = sweep(cfg, &no_logical);
    EXPECT_EQ(removed.size(), 1u);
    EXPECT_TRUE(removed.count(r.backup(failed)));
    EXPECT_TRUE(posix::exists(r.logical(lfailed)));
    sk_sweep_opts no_physical{nullptr, 0, 1, 0};
    r.put(r.backup(failed) + "/data/x");
    removed = sweep(cfg, &no_physical);
    EXPECT_EQ(removed.size(), 1u);
    EXPECT_TRUE(removed.count(r.logical(lfailed)));
    EXPECT_TRUE(posix::exists(r.backup(failed)));
}

TEST(Sweep, BadRepositoryIsReportedAndTheOthersAreSwept) {
    Repo r1;
    const std::string failed = "20260103-000000F";
    r1.put(r1.backup(failed) + "/data/x");
    TempDir gone;
    const std::string missing = gone / "nowhere";
    sk_config cfg = test::posix_config(missing.c_str(), kStanza, 1, 1);
    cfg.repos[1].type = "posix";
    cfg.repos[1].path = r1.dir.path().c_str();
    sk_swept *removed = nullptr;
    int n = 0;
    sk_msg msg;
    EXPECT_EQ(sk_sweep_leftovers(&cfg, nullptr, &removed, &n, &msg), SK_ERROR);
    EXPECT_NE(
        std::string(msg.text).find("repo1: repository path \"" + missing + "\" does not exist"),
        std::string::npos)
        << msg.text;
    ASSERT_EQ(n, 1);
    EXPECT_EQ(removed[0].repo, 2);
    EXPECT_FALSE(posix::exists(r1.backup(failed)));
    sk_swept_free(removed, n);
}
