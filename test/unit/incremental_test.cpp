// Incremental and differential backups on a fake data directory whose
// relation files carry fabricated page LSNs.
#include "backup/copy.h"
#include "backup/exclude.h"
#include "pg_safekeep/capi.h"
#include "repo/manifest.h"
#include "c_results.h"
#include "temp_dir.h"
#include "test_config.h"

#include <gtest/gtest.h>
#include <map>
#include <nlohmann/json.hpp>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

using namespace safekeep;
using safekeep::test::TempDir;
using safekeep::test::write_text;

namespace {

// One 8 KiB page whose header holds lsn (xlogid, xrecoff little-endian).
std::string page(uint64_t lsn, char fill) {
    std::string p(kPageSize, fill);
    uint32_t hi = static_cast<uint32_t>(lsn >> 32), lo = static_cast<uint32_t>(lsn);
    for (int i = 0; i < 4; i++) {
        p[i] = static_cast<char>(hi >> (8 * i));
        p[4 + i] = static_cast<char>(lo >> (8 * i));
    }
    return p;
}

std::string pages(uint64_t lsn, char first, int n) {
    std::string s;
    for (int i = 0; i < n; i++)
        s += page(lsn, static_cast<char>(first + i));
    return s;
}

std::string label_file(const std::string &lsn, const std::string &seg, int tli = 1) {
    return "START WAL LOCATION: " + lsn + " (file " + seg + ")\nCHECKPOINT LOCATION: " + lsn +
           "\nBACKUP METHOD: streamed\nBACKUP FROM: primary\n" +
           "START TIME: 2026-11-22 01:30:45 UTC\nLABEL: t\nSTART TIMELINE: " + std::to_string(tli) +
           "\n";
}

void set_mtime(const std::string &path, int64_t t) {
    struct timespec times[2] = {{t, 0}, {t, 0}};
    ASSERT_EQ(::utimensat(AT_FDCWD, path.c_str(), times, 0), 0);
}

const ManifestFile *entry(const Manifest &m, const std::string &path) {
    return m.find(path);
}

struct PageRun {
    uint32_t start, count;
    std::string label;
    uint32_t offset;
    bool operator==(const PageRun &o) const {
        return start == o.start && count == o.count && label == o.label && offset == o.offset;
    }
};

std::vector<PageRun> runs(const Manifest &m, const ManifestFile &f) {
    std::vector<PageRun> out;
    for (const auto &r : f.blocks)
        out.push_back({r.start, r.count, m.holders[r.holder], r.offset});
    return out;
}

std::ostream &operator<<(std::ostream &os, const PageRun &r) {
    return os << "{" << r.start << "," << r.count << "," << r.label << "," << r.offset << "}";
}

class Incremental : public ::testing::Test {
  protected:
    TempDir t;
    std::string pgdata, repo;
    sk_config cfg{};
    std::map<std::string, std::string> live; // the files the test manages

    void SetUp() override {
        pgdata = t / "pgdata";
        repo = t / "repo";
        posix::make_dir(repo, 0700);
        cfg = safekeep::test::posix_config(repo.c_str(), "", 3, 2);
        put("PG_VERSION", "15\n");
        put("base/1/PG_VERSION", "15\n");
        put("global/pg_control", std::string(512, 'c'));
        put("global/1262", pages(0x500000, 'A', 2));
        put("base/1/16384", pages(0x500000, 'a', 10));
        put("base/1/16385", pages(0x500000, 'k', 4));
        put("base/1/16386", pages(0x500000, 'p', 3));
        put("base/1/16387_fsm", page(0, 'f') + page(0, 'g'));
        put("base/1/16389", page(0, 'q') + page(0x500000, 'r'));
        put("base/1/16388", pages(0x500000, 'r', 2) + std::string(100, 'z')); // torn tail
        ::chmod(pgdata.c_str(), 0700);
        set_mtime(pgdata + "/global/pg_control", 1700000000);
    }

    void put(const std::string &rel, const std::string &content) {
        write_text(pgdata + "/" + rel, content);
        live[rel] = content;
    }
    void remove(const std::string &rel) {
        ::unlink((pgdata + "/" + rel).c_str());
        live.erase(rel);
    }
    // Overwrites page n of rel.
    void put_page(const std::string &rel, size_t n, const std::string &p) {
        std::string s = live[rel];
        if (s.size() < (n + 1) * kPageSize)
            s.resize((n + 1) * kPageSize, '\0');
        s.replace(n * kPageSize, kPageSize, p);
        put(rel, s);
    }

    // Runs a backup whose pg_backup_start returned start_lsn (segment seg).
    std::string backup(const char *type, const std::string &start_lsn, const std::string &seg,
                       sk_backup_result *res_out = nullptr, int tli = 1) {
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
        EXPECT_STREQ(sk_backup_type(b), type);
        EXPECT_EQ(sk_backup_copy(b, nullptr, nullptr, &msg), SK_OK) << msg.text;
        std::string lf = label_file(start_lsn, seg, tli);
        std::string stop_lsn = start_lsn.substr(0, start_lsn.size() - 2) + "FF";
        sk_backup_stop stop{start_lsn.c_str(), stop_lsn.c_str(), lf.c_str(), "",
                            1795311045,        1795311060,       nullptr};
        sk_backup_result res{};
        int rc = sk_backup_finish(b, &stop, &res, &msg);
        EXPECT_EQ(rc, SK_OK) << msg.text;
        std::string label = sk_backup_label(b);
        if (rc != SK_OK)
            sk_backup_abort(b);
        sk_backup_free(b);
        if (res_out)
            *res_out = res; // the caller's now
        else
            sk_backup_result_free(&res);
        return label;
    }

    Manifest manifest(const std::string &label) {
        return Manifest::from_json(
            posix::read_file(repo + "/7001/backup/" + label + "/manifest.json"),
            repo + "/7001/backup/" + label + "/manifest.json");
    }

    // Restores label and compares every managed file with the expected snapshot.
    void restore_and_compare(const std::string &label,
                             const std::map<std::string, std::string> &expect) {
        std::string dir = t / ("restore_" + label);
        sk_restore_opts o{};
        o.pgdata = dir.c_str();
        o.label = label.c_str();
        o.target_inclusive = 1;
        o.tool_path = "/usr/bin/pg_safekeep";
        sk_restore_result rr{};
        sk_msg msg{};
        ASSERT_EQ(sk_restore(&cfg, &o, nullptr, &rr, &msg), SK_OK) << msg.text;
        EXPECT_EQ(std::string(rr.label), label);
        for (const auto &[rel, content] : expect)
            EXPECT_EQ(posix::read_file(dir + "/" + rel), content) << label << ": " << rel;
        if (!expect.count("base/1/16386")) {
            EXPECT_FALSE(posix::exists(dir + "/base/1/16386")) << label;
        }
    }
};

} // namespace

TEST(PageLsn, ReadsLittleEndianPair) {
    std::string p = page(0x123456789ABCDEF0ULL, 'x');
    EXPECT_EQ(page_lsn(reinterpret_cast<const uint8_t *>(p.data())), 0x123456789ABCDEF0ULL);
}

TEST(RelationPath, Classification) {
    EXPECT_TRUE(is_relation_path("base/1/16384"));
    EXPECT_TRUE(is_relation_path("base/1/16384_fsm"));
    EXPECT_TRUE(is_relation_path("base/1/16384_vm.3"));
    EXPECT_TRUE(is_relation_path("global/1262"));
    EXPECT_TRUE(is_relation_path("pg_tblspc/16390/PG_15_202209061/5/16400.1"));
    EXPECT_FALSE(is_relation_path("global/pg_control"));
    EXPECT_FALSE(is_relation_path("base/1/PG_VERSION"));
    EXPECT_FALSE(is_relation_path("base/1/pg_filenode.map"));
    EXPECT_FALSE(is_relation_path("pg_xact/0000"));
    EXPECT_FALSE(is_relation_path("16384"));
    EXPECT_TRUE(is_page_compared("base/1/16384.2"));
    EXPECT_TRUE(is_page_compared("base/1/16384_init"));
    EXPECT_FALSE(is_page_compared("base/1/16384_fsm"));
    EXPECT_FALSE(is_page_compared("base/1/16384_vm"));
    EXPECT_FALSE(is_page_compared("global/pg_control"));
}

TEST_F(Incremental, PageComparisonChainRestoreAndDifferential) {
    sk_msg msg{};
    char prior[64];
    // No full backup yet: the caller is told so.
    EXPECT_EQ(sk_backup_choose_prior(&cfg, "incremental", 0, prior, &msg), SK_NOT_FOUND);
    EXPECT_NE(std::string(msg.text).find("no full backup"), std::string::npos) << msg.text;

    test::OwnedBackupResult rf;
    const std::string full = backup("full", "0/1000028", "000000010000000000000001", &rf);
    ASSERT_EQ(full.size(), 16u);
    const auto snap_full = live;

    // Changes after the full backup.
    put_page("base/1/16384", 3, page(0x1500000, 'X'));                  // changed page
    put_page("base/1/16384", 10, page(0x1500000, 'N'));                 // new page
    put_page("base/1/16384", 11, std::string(kPageSize, '\0'));         // new all-zero page
    put("base/1/16385", live["base/1/16385"].substr(0, 2 * kPageSize)); // shrunk
    remove("base/1/16386");                                             // vanished
    put("global/pg_control", std::string(512, 'C')); // same size and mtime, new content
    set_mtime(pgdata + "/global/pg_control", 1700000000);
    put("base/1/16390", pages(0x1600000, 'n', 3));                    // new relation
    put("base/1/16388", live["base/1/16388"] + std::string(50, 'y')); // torn tail grew

    ASSERT_EQ(sk_backup_choose_prior(&cfg, "incremental", 0, prior, &msg), SK_OK) << msg.text;
    EXPECT_EQ(std::string(prior), full);
    test::OwnedBackupResult r1;
    const std::string inc1 = backup("incremental", "0/2000028", "000000010000000000000002", &r1);
    ASSERT_EQ(inc1.size(), 33u);
    EXPECT_EQ(inc1.substr(0, 17), full + "_");
    EXPECT_EQ(inc1.back(), 'I');
    EXPECT_STREQ(r1.type, "incremental");
    EXPECT_EQ(std::string(r1.prior), full);
    EXPECT_LT(r1.copied_bytes * 2, rf.copied_bytes);
    EXPECT_EQ(rf.copied_bytes, rf.original_bytes);
    EXPECT_LT(r1.stored_bytes, rf.stored_bytes);
    const auto snap_inc1 = live;

    Manifest m1 = manifest(inc1);
    EXPECT_EQ(m1.type, "incremental");
    EXPECT_EQ(m1.prior, full);
    // Unchanged files: references, no object.
    for (const char *p : {"PG_VERSION", "base/1/PG_VERSION", "global/1262"}) {
        const ManifestFile *f = entry(m1, p);
        ASSERT_NE(f, nullptr) << p;
        EXPECT_EQ(f->reference, full) << p;
        EXPECT_TRUE(f->object.empty()) << p;
        EXPECT_EQ(f->stored_size, 0u) << p;
    }
    // Same size and mtime but other content: copied again (sha256 decides).
    const ManifestFile *ctl = entry(m1, "global/pg_control");
    ASSERT_NE(ctl, nullptr);
    EXPECT_TRUE(ctl->whole());
    EXPECT_FALSE(ctl->object.empty());
    // Changed page 3 and new pages 10, 11 (zero) stored; the rest referenced.
    const ManifestFile *rel = entry(m1, "base/1/16384");
    ASSERT_NE(rel, nullptr);
    EXPECT_EQ(rel->size, 12u * kPageSize);
    EXPECT_EQ(rel->object_size, 3u * kPageSize);
    std::vector<PageRun> want = {
        {0, 3, full, 0}, {3, 1, inc1, 0}, {4, 6, full, 4}, {10, 2, inc1, 1}};
    EXPECT_EQ(runs(m1, *rel), want);
    // Shrunk: the first two pages referenced, new size recorded.
    const ManifestFile *shrunk = entry(m1, "base/1/16385");
    ASSERT_NE(shrunk, nullptr);
    EXPECT_EQ(shrunk->size, 2u * kPageSize);
    EXPECT_TRUE(shrunk->object.empty());
    EXPECT_EQ(runs(m1, *shrunk), (std::vector<PageRun>{{0, 2, full, 0}}));
    EXPECT_EQ(entry(m1, "base/1/16386"), nullptr); // vanished
    // FSM forks are compared whole: unchanged, so a reference.
    const ManifestFile *fsm = entry(m1, "base/1/16387_fsm");
    ASSERT_NE(fsm, nullptr);
    EXPECT_EQ(fsm->reference, full);
    // A page with LSN 0 inside the old size is stored: nothing proves it unchanged.
    EXPECT_EQ(runs(m1, *entry(m1, "base/1/16389")),
              (std::vector<PageRun>{{0, 1, inc1, 0}, {1, 1, full, 1}}));
    // New relation: stored whole.
    EXPECT_TRUE(entry(m1, "base/1/16390")->whole());
    // Torn tail: the two whole pages referenced, the grown tail stored.
    const ManifestFile *torn = entry(m1, "base/1/16388");
    EXPECT_EQ(runs(m1, *torn), (std::vector<PageRun>{{0, 2, full, 0}, {2, 1, inc1, 0}}));
    EXPECT_EQ(torn->object_size, 150u);

    // Second incremental: relative to the first.
    put_page("base/1/16384", 5, page(0x2500000, 'Y'));
    put("base/1/16387_fsm", page(0, 'f') + page(0, 'G')); // FSM changed: stored whole
    set_mtime(pgdata + "/base/1/16387_fsm", 1700000001);
    const std::string inc2 = backup("incremental", "0/3000028", "000000010000000000000003");
    ASSERT_EQ(inc2.size(), 33u);
    EXPECT_GT(inc2, inc1);
    const auto snap_inc2 = live;
    Manifest m2 = manifest(inc2);
    EXPECT_EQ(m2.prior, inc1);
    // The all-zero page 11 has LSN 0: nothing proves it unchanged, so it is stored again.
    want = {{0, 3, full, 0}, {3, 1, inc1, 0},  {4, 1, full, 4}, {5, 1, inc2, 0},
            {6, 4, full, 6}, {10, 1, inc1, 1}, {11, 1, inc2, 1}};
    EXPECT_EQ(runs(m2, *entry(m2, "base/1/16384")), want);
    EXPECT_EQ(entry(m2, "global/pg_control")->reference, inc1); // held by inc1
    EXPECT_EQ(entry(m2, "global/1262")->reference, full);
    EXPECT_EQ(entry(m2, "base/1/16390")->reference, inc1);
    EXPECT_TRUE(entry(m2, "base/1/16387_fsm")->whole());
    EXPECT_FALSE(entry(m2, "base/1/16387_fsm")->object.empty());

    // Differential: everything since the full backup.
    put_page("base/1/16384", 7, page(0x3500000, 'Z'));
    ASSERT_EQ(sk_backup_choose_prior(&cfg, "differential", 0, prior, &msg), SK_OK) << msg.text;
    EXPECT_EQ(std::string(prior), full);
    const std::string diff = backup("differential", "0/4000028", "000000010000000000000004");
    ASSERT_EQ(diff.size(), 33u);
    EXPECT_EQ(diff.back(), 'D');
    EXPECT_EQ(diff.substr(0, 16), full);
    const auto snap_diff = live;
    Manifest md = manifest(diff);
    EXPECT_EQ(md.type, "differential");
    EXPECT_EQ(md.prior, full);
    want = {{0, 3, full, 0}, {3, 1, diff, 0}, {4, 1, full, 4}, {5, 1, diff, 1},
            {6, 1, full, 6}, {7, 1, diff, 2}, {8, 2, full, 8}, {10, 2, diff, 3}};
    EXPECT_EQ(runs(md, *entry(md, "base/1/16384")), want);
    EXPECT_EQ(md.dependencies(), std::vector<std::string>{full});

    restore_and_compare(full, snap_full);
    restore_and_compare(inc1, snap_inc1);
    restore_and_compare(inc2, snap_inc2);
    restore_and_compare(diff, snap_diff);

    // info shows types and priors.
    char *doc = sk_repo_info_json(&cfg, 0, &msg);
    ASSERT_NE(doc, nullptr) << msg.text;
    auto j = nlohmann::json::parse(doc);
    sk_free(doc);
    ASSERT_EQ(j["backups"].size(), 4u);
    EXPECT_EQ(j["backups"][0]["type"], "full");
    EXPECT_TRUE(j["backups"][0]["prior"].is_null());
    EXPECT_EQ(j["backups"][1]["label"], inc1);
    EXPECT_EQ(j["backups"][1]["type"], "incremental");
    EXPECT_EQ(j["backups"][1]["prior"], full);
    EXPECT_EQ(j["backups"][2]["label"], inc2);
    EXPECT_EQ(j["backups"][2]["prior"], inc1);
    EXPECT_EQ(j["backups"][3]["label"], diff);
    EXPECT_EQ(j["backups"][3]["type"], "differential");
    EXPECT_EQ(j["backups"][3]["prior"], full);
}
