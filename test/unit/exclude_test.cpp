#include "backup/exclude.h"

#include <gtest/gtest.h>

using namespace safekeep;

TEST(Exclude, RuntimeDirectoriesKeepOnlyTheDirectory) {
    for (const char *d : {"pg_dynshmem", "pg_notify", "pg_replslot", "pg_serial", "pg_snapshots",
                          "pg_stat_tmp", "pg_subtrans", "pg_wal"})
        EXPECT_EQ(classify_path(d, true), Exclusion::KeepDirOnly) << d;
    // only at the top level
    EXPECT_EQ(classify_path("base/pg_wal", true), Exclusion::Keep);
    EXPECT_EQ(classify_path("pg_xact", true), Exclusion::Keep);
    EXPECT_EQ(classify_path("pg_stat", true), Exclusion::Keep);
    EXPECT_EQ(classify_path("pg_logical", true), Exclusion::Keep);
}

TEST(Exclude, ServerStateFilesAreSkipped) {
    for (const char *f : {"postgresql.auto.conf.tmp", "current_logfiles", "backup_label",
                          "tablespace_map", "backup_manifest", "postmaster.pid", "postmaster.opts"})
        EXPECT_EQ(classify_path(f, false), Exclusion::Skip) << f;
    EXPECT_EQ(classify_path("postgresql.auto.conf", false), Exclusion::Keep);
    EXPECT_EQ(classify_path("postgresql.conf", false), Exclusion::Keep);
    EXPECT_EQ(classify_path("PG_VERSION", false), Exclusion::Keep);
    EXPECT_EQ(classify_path("global/pg_control", false), Exclusion::Keep);
    EXPECT_EQ(classify_path("backup_label.old", false), Exclusion::Keep);
}

TEST(Exclude, RelcacheInitFileInAnyDirectory) {
    EXPECT_EQ(classify_path("global/pg_internal.init", false), Exclusion::Skip);
    EXPECT_EQ(classify_path("base/16384/pg_internal.init", false), Exclusion::Skip);
    EXPECT_EQ(classify_path("base/16384/pg_internal.init.1234", false), Exclusion::Skip);
    EXPECT_EQ(classify_path("base/16384/pg_filenode.map", false), Exclusion::Keep);
}

TEST(Exclude, PgsqlTmpPrefixAnywhere) {
    EXPECT_EQ(classify_path("base/pgsql_tmp", true), Exclusion::Skip);
    EXPECT_EQ(classify_path("pg_tblspc/16390/PG_15_202209061/pgsql_tmp", true), Exclusion::Skip);
    EXPECT_EQ(classify_path("base/16384/pgsql_tmp123.0", false), Exclusion::Skip);
    EXPECT_EQ(classify_path("base/16384/xpgsql_tmp", false), Exclusion::Keep);
}

TEST(Exclude, TemporaryRelationsInDatabaseDirectories) {
    EXPECT_EQ(classify_path("base/16384/t3_16400", false), Exclusion::Skip);
    EXPECT_EQ(classify_path("base/16384/t3_16400_fsm", false), Exclusion::Skip);
    EXPECT_EQ(classify_path("base/16384/t3_16400_vm", false), Exclusion::Skip);
    EXPECT_EQ(classify_path("base/16384/t3_16400.1", false), Exclusion::Skip);
    EXPECT_EQ(classify_path("pg_tblspc/16390/PG_15_202209061/16384/t12_99", false),
              Exclusion::Skip);
    // not temp-relation names, or not in a database directory
    EXPECT_EQ(classify_path("base/16384/t3_", false), Exclusion::Keep);
    EXPECT_EQ(classify_path("base/16384/t_16400", false), Exclusion::Keep);
    EXPECT_EQ(classify_path("base/16384/t3_16400_foo", false), Exclusion::Keep);
    EXPECT_EQ(classify_path("global/t3_16400", false), Exclusion::Keep);
    EXPECT_EQ(classify_path("t3_16400", false), Exclusion::Keep);
    EXPECT_EQ(classify_path("base/16384/16400", false), Exclusion::Keep);
}

TEST(Exclude, UnloggedRelationsKeepOnlyInitFork) {
    std::set<std::string> unlogged = {"16500"};
    const std::string db = "base/16384/";
    EXPECT_EQ(classify_path(db + "16500", false, unlogged), Exclusion::Skip);
    EXPECT_EQ(classify_path(db + "16500.1", false, unlogged), Exclusion::Skip);
    EXPECT_EQ(classify_path(db + "16500_fsm", false, unlogged), Exclusion::Skip);
    EXPECT_EQ(classify_path(db + "16500_vm", false, unlogged), Exclusion::Skip);
    EXPECT_EQ(classify_path(db + "16500_init", false, unlogged), Exclusion::Keep);
    EXPECT_EQ(classify_path(db + "16501", false, unlogged), Exclusion::Keep);
    EXPECT_EQ(classify_path(db + "165000", false, unlogged), Exclusion::Keep);
    EXPECT_EQ(classify_path("pg_tblspc/1/PG_15_202209061/5/16500_vm", false, unlogged),
              Exclusion::Skip);
    // outside database directories the rule does not apply
    EXPECT_EQ(classify_path("global/16500", false, unlogged), Exclusion::Keep);
}

TEST(Exclude, DatabaseDirectoryShapes) {
    EXPECT_TRUE(is_database_dir("base/1"));
    EXPECT_TRUE(is_database_dir("pg_tblspc/16390/PG_15_202209061/16384"));
    EXPECT_FALSE(is_database_dir("base"));
    EXPECT_FALSE(is_database_dir("global"));
    EXPECT_FALSE(is_database_dir("base/abc"));
    EXPECT_FALSE(is_database_dir("pg_tblspc/16390/PG_15_202209061"));
    EXPECT_FALSE(is_database_dir("pg_tblspc/16390/other/16384"));
}

TEST(Exclude, RelationFileNameParsing) {
    std::string rel, fork;
    EXPECT_TRUE(parse_relation_file_name("16384", rel, fork));
    EXPECT_EQ(rel, "16384");
    EXPECT_EQ(fork, "");
    EXPECT_TRUE(parse_relation_file_name("16384_init", rel, fork));
    EXPECT_EQ(fork, "init");
    EXPECT_TRUE(parse_relation_file_name("16384_fsm.2", rel, fork));
    EXPECT_EQ(fork, "fsm");
    EXPECT_FALSE(parse_relation_file_name("16384_xyz", rel, fork));
    EXPECT_FALSE(parse_relation_file_name("16384.", rel, fork));
    EXPECT_FALSE(parse_relation_file_name("PG_VERSION", rel, fork));
    EXPECT_TRUE(looks_like_temp_rel_name("t1_2_init.3"));
    EXPECT_FALSE(looks_like_temp_rel_name("t1_2x"));
}
