#include "repo/label.h"
#include "storage/posix_storage.h"
#include "repo/manifest.h"
#include "temp_dir.h"
#include "util/error.h"

#include <algorithm>
#include <gtest/gtest.h>

using namespace safekeep;
using safekeep::test::TempDir;

TEST(Manifest, JsonRoundTrip) {
    Manifest m;
    m.label = "20261122-013045F";
    m.system_id = "7312345678901234567";
    m.pg_version = 150018;
    m.start_time = 1795000000;
    m.stop_time = 1795000100;
    m.start_lsn = "0/2000028";
    m.stop_lsn = "0/2000138";
    m.start_wal = "000000010000000000000002";
    m.stop_wal = "000000010000000000000002";
    m.timeline = 1;
    m.original_bytes = 8192;
    m.stored_bytes = 100;
    m.file_count = 1;
    m.table_counts = {{"db.public.t", 42}};
    m.tablespaces.push_back({"16390", "/srv/ts1"});
    m.directories.push_back({"base", 0700});
    ManifestFile mf;
    mf.path = "base/1/1259";
    mf.size = 8192;
    mf.mode = 0600;
    mf.mtime = 1795000000;
    mf.sha256 = std::string(64, 'a');
    mf.stored_size = 100;
    mf.object = "data/base/1/1259.zst";
    m.files.push_back(mf);
    std::string text = m.to_json();
    Manifest r = Manifest::from_json(text, "test");
    EXPECT_EQ(r.to_json(), text);
    EXPECT_EQ(r.label, m.label);
    EXPECT_EQ(r.system_id, m.system_id);
    EXPECT_EQ(r.prior, "");
    EXPECT_EQ(r.table_counts["db.public.t"], 42);
    ASSERT_EQ(r.files.size(), 1u);
    EXPECT_EQ(r.files[0].mode, 0600u);
    EXPECT_EQ(r.files[0].object, "data/base/1/1259.zst");
    EXPECT_EQ(r.tablespaces[0].location, "/srv/ts1");
    auto j = nlohmann::json::parse(text);
    EXPECT_TRUE(j["prior"].is_null());
    EXPECT_TRUE(j["system_id"].is_string());
}

TEST(Manifest, IncrementalFieldsRoundTrip) {
    Manifest m;
    m.label = "20261122-013045F_20261122-020000I";
    m.type = "incremental";
    m.prior = "20261122-013045F";
    m.holders = {m.label};
    m.start_wal = m.stop_wal = "000000010000000000000002";
    m.copied_bytes = 8192;
    ManifestFile a;
    a.path = "base/1/1259";
    a.size = 3 * 8192;
    a.sha256 = std::string(64, 'a');
    a.object = "data/base/1/1259.zst";
    a.object_sha256 = std::string(64, 'b');
    a.object_size = 8192;
    a.blocks = {
        {0, 1, 0, m.holder_index(m.prior)}, {1, 1, 0, 0}, {2, 1, 2, m.holder_index(m.prior)}};
    ManifestFile b;
    b.path = "global/pg_control";
    b.size = 8192;
    b.sha256 = std::string(64, 'c');
    b.reference = m.prior;
    m.files = {a, b};
    std::string text = m.to_json();
    auto j = nlohmann::json::parse(text);
    EXPECT_EQ(j["format"], 2);
    EXPECT_EQ(j["files"][0]["blocks"][2], nlohmann::json::parse(R"([2,1,"20261122-013045F",2])"));
    Manifest r = Manifest::from_json(text, "test");
    EXPECT_EQ(r.to_json(), text);
    EXPECT_EQ(r.copied_bytes, 8192u);
    ASSERT_EQ(r.files[0].blocks.size(), 3u);
    EXPECT_EQ(r.holders[r.files[0].blocks[0].holder], m.prior);
    EXPECT_EQ(r.holders[r.files[0].blocks[1].holder], m.label);
    EXPECT_EQ(r.files[0].object_bytes(), 8192u);
    EXPECT_EQ(r.files[1].reference, m.prior);
    EXPECT_EQ(r.files[1].object_bytes(), 0u);
    EXPECT_EQ(r.find("global/pg_control"), &r.files[1]);
    EXPECT_EQ(r.find("nope"), nullptr);
    EXPECT_EQ(r.dependencies(), std::vector<std::string>{m.prior});
}

TEST(Manifest, InvalidJsonNamesSource) {
    try {
        Manifest::from_json("{\"format\":1}", "/repo/x/manifest.json");
        FAIL();
    } catch (const Error &e) {
        EXPECT_NE(std::string(e.what()).find("/repo/x/manifest.json"), std::string::npos);
    }
}

TEST(Label, FormatIsUtcAndSortable) {
    EXPECT_EQ(format_full_label(0), "19700101-000000F");
    EXPECT_EQ(format_full_label(1795311045), "20261122-013045F");
    std::vector<std::string> labels = {format_full_label(1795311045 + 86400),
                                       format_full_label(1795311045),
                                       format_full_label(1795311045 + 1)};
    std::vector<std::string> sorted = labels;
    std::sort(sorted.begin(), sorted.end());
    EXPECT_EQ(sorted[0], labels[1]);
    EXPECT_EQ(sorted[1], labels[2]);
    EXPECT_EQ(sorted[2], labels[0]);
}

TEST(Label, Validation) {
    EXPECT_TRUE(is_valid_label("20261122-013045F"));
    EXPECT_TRUE(is_valid_label("20261122-013045F_20261123-013045I"));
    EXPECT_FALSE(is_valid_label("20261122-013045"));
    EXPECT_FALSE(is_valid_label("20261122_013045F"));
    EXPECT_FALSE(is_valid_label("../etc"));
    EXPECT_FALSE(is_valid_label(""));
}

TEST(Label, AllocationBumpsWhenTaken) {
    TempDir t;
    PosixStorage store(t.path());
    std::string a = allocate_label(store, "", 1795311045);
    std::string b = allocate_label(store, "", 1795311045);
    std::string c = allocate_label(store, "", 1795311045);
    EXPECT_EQ(a, "20261122-013045F");
    EXPECT_EQ(b, "20261122-013046F");
    EXPECT_EQ(c, "20261122-013047F");
    EXPECT_TRUE(posix::is_dir(t / c));
}

TEST(Label, AnIncrementalOfAnOlderFullFindsALabelPastANewerFull) {
    TempDir t;
    PosixStorage store(t.path());
    // Full F2 (a failed backup's label) is newer than full F1, whose chain goes on.
    std::string l =
        allocate_label(store, "", 1795311045, 'I', "20261122-010000F", "20261122-013100F");
    EXPECT_EQ(l, "20261122-010000F_20261122-013101I");
    // The floor is the stamp: a full after an incremental sorts after it.
    EXPECT_EQ(allocate_label(store, "", 1795311045, 'F', "", l), "20261122-013102F");
}
