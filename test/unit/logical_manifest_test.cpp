// The typed logical manifest: what is stored reads back the same, times as
// ISO 8601 UTC, and text that is not a manifest is refused naming where.
#include "repo/logical_manifest.h"
#include "util/error.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace safekeep {
namespace {

TEST(LogicalManifest, StoredTextReadsBackTheSame) {
    LogicalManifest m;
    m.label = "20261207-201500L";
    m.database = "shop \"main\"";
    m.schema_only = true;
    m.tables = {"public.orders", "sales.items"};
    m.dump_size = 12345;
    m.stored_size = 678;
    m.sha256 = std::string(64, 'a');
    m.schema_hash = std::string(64, 'b');
    m.pg_dump_version = "pg_dump (PostgreSQL) 15.18";
    m.start_time = 1796674500; // 2026-12-07T20:15:00Z
    m.stop_time = 1796674507;
    const std::string text = logical_manifest_text(m);
    const nlohmann::json j = nlohmann::json::parse(text);
    EXPECT_EQ(j["start_time"], "2026-12-07T20:15:00Z");
    EXPECT_EQ(j["backup_type"], "logical");
    EXPECT_EQ(text.back(), '\n');

    LogicalManifest r = parse_logical_manifest(text, "repo/logical/x/manifest.json");
    EXPECT_EQ(r.label, m.label);
    EXPECT_EQ(r.database, m.database);
    EXPECT_TRUE(r.schema_only);
    EXPECT_EQ(r.tables, m.tables);
    EXPECT_EQ(r.object, "dump.zst");
    EXPECT_EQ(r.dump_size, 12345u);
    EXPECT_EQ(r.stored_size, 678u);
    EXPECT_EQ(r.sha256, m.sha256);
    EXPECT_EQ(r.schema_hash, m.schema_hash);
    EXPECT_EQ(r.pg_dump_version, m.pg_dump_version);
    EXPECT_EQ(r.start_time, m.start_time);
    EXPECT_EQ(r.stop_time, m.stop_time);
}

TEST(LogicalManifest, MissingTimesAreMinusOneAndBadTextIsCorruptData) {
    LogicalManifest r = parse_logical_manifest(R"({"label":"x","database":"d"})", "m");
    EXPECT_EQ(r.start_time, -1);
    EXPECT_EQ(r.stop_time, -1);
    EXPECT_TRUE(r.tables.empty());
    try {
        parse_logical_manifest("{not json", "repo/logical/20261207-201500L/manifest.json");
        FAIL() << "no error";
    } catch (const CorruptData &e) {
        EXPECT_NE(std::string(e.what()).find("repo/logical/20261207-201500L/manifest.json"),
                  std::string::npos)
            << e.what();
    }
    EXPECT_THROW(parse_logical_manifest(R"({"dump_size":"big"})", "m"), CorruptData);
}

} // namespace
} // namespace safekeep
