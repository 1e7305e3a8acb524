#include "repo/config.h"
#include "repo/layout.h"
#include "restore/recovery_log.h"
#include "restore/recovery_report.h"
#include "temp_dir.h"
#include "util/error.h"
#include "format/wal_name.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <utime.h>

using namespace safekeep;
using safekeep::test::TempDir;
using safekeep::test::write_text;

namespace {

const double k0400_01 = 1795320001; // 2026-11-22 04:00:01 UTC

// Log lines as PostgreSQL 15 writes them with the default log_line_prefix.
const char kHead[] = "2026-11-22 04:10:00.001 UTC [100] LOG:  starting PostgreSQL 15.8\n"
                     "2026-11-22 04:10:00.010 UTC [102] LOG:  starting archive recovery\n"
                     "2026-11-22 04:10:00.020 UTC [102] LOG:  restored log file "
                     "\"000000010000000000000003\" from archive\n";

} // namespace

TEST(RecoveryLog, TimestampOffsets) {
    auto t = parse_log_timestamp("2026-11-22 04:00:01.123456+00");
    ASSERT_TRUE(t);
    EXPECT_NEAR(*t, k0400_01 + 0.123456, 1e-6);
    EXPECT_NEAR(*parse_log_timestamp("2026-11-22 05:00:01.5+01"), k0400_01 + 0.5, 1e-6);
    EXPECT_NEAR(*parse_log_timestamp("2026-11-21 22:30:01-05:30"), k0400_01, 1e-6);
    EXPECT_NEAR(*parse_log_timestamp("2026-11-22 09:45:01+05:45"), k0400_01, 1e-6);
    EXPECT_NEAR(*parse_log_timestamp("2026-11-22 04:19:33+00:19:32"), k0400_01, 1e-6);
    EXPECT_NEAR(*parse_log_timestamp("2026-11-22 04:00:01 UTC"), k0400_01, 1e-6);
    EXPECT_NEAR(*parse_log_timestamp("2026-11-22 04:00:01.25 GMT"), k0400_01 + 0.25, 1e-6);
    EXPECT_NEAR(*parse_log_timestamp("2026-11-22 04:00:01Z"), k0400_01, 1e-6);
    // Day and year boundaries, and a leap day.
    EXPECT_NEAR(*parse_log_timestamp("2000-01-01 00:59:59+01"), 946684799, 1e-6);
    EXPECT_NEAR(*parse_log_timestamp("2024-02-29 00:00:00+00"), 1709164800, 1e-6);
}

TEST(RecoveryLog, TimestampsNotUnderstood) {
    EXPECT_FALSE(parse_log_timestamp("2026-11-22 04:00:01 CET"));
    EXPECT_FALSE(parse_log_timestamp("2026-11-22 04:00:01.123"));   // no zone
    EXPECT_FALSE(parse_log_timestamp("2026-11-22 04:00:01+00 BC")); // BC date
    EXPECT_FALSE(parse_log_timestamp("infinity"));
    EXPECT_FALSE(parse_log_timestamp("2026-13-22 04:00:01+00")); // month 13
    EXPECT_FALSE(parse_log_timestamp("2026-11-22 04:00:01+0x"));
    EXPECT_FALSE(parse_log_timestamp("2026-11-22 04:00:01.+00"));
    EXPECT_FALSE(parse_log_timestamp(""));
}

TEST(RecoveryLog, LastCompletedTransaction) {
    std::string log = std::string(kHead) +
                      "2026-11-22 04:10:01.000 UTC [102] LOG:  redo done at 0/5000100 system "
                      "usage: CPU: user: 0.00 s, system: 0.00 s, elapsed: 0.50 s\n"
                      "2026-11-22 04:10:01.001 UTC [102] LOG:  last completed transaction was at "
                      "log time 2026-11-22 04:00:01.123456+00\n"
                      "2026-11-22 04:10:01.200 UTC [102] LOG:  selected new timeline ID: 2\n"
                      "2026-11-22 04:10:01.300 UTC [102] LOG:  archive recovery complete\n";
    RecoveryLog r = parse_recovery_log(log);
    ASSERT_TRUE(r.last_xact);
    EXPECT_EQ(r.last_xact->text, "2026-11-22 04:00:01.123456+00");
    ASSERT_TRUE(r.last_xact->unix_seconds);
    EXPECT_NEAR(*r.last_xact->unix_seconds, k0400_01 + 0.123456, 1e-6);
    EXPECT_EQ(r.new_timeline, 2u);
    EXPECT_FALSE(r.collector);
}

TEST(RecoveryLog, PrefersLastCompletedOverStopping) {
    // Stopping before a commit names the commit that was not replayed.
    std::string log = std::string(kHead) +
                      "2026-11-22 04:10:01 UTC [102] LOG:  recovery stopping before commit of "
                      "transaction 746, time 2026-11-22 05:00:09.5+01\n"
                      "2026-11-22 04:10:01 UTC [102] LOG:  redo done at 0/5000100\n"
                      "2026-11-22 04:10:01 UTC [102] LOG:  last completed transaction was at log "
                      "time 2026-11-22 05:00:01+01\r\n";
    RecoveryLog r = parse_recovery_log(log);
    ASSERT_TRUE(r.last_xact);
    EXPECT_EQ(r.last_xact->text, "2026-11-22 05:00:01+01");
    EXPECT_NEAR(*r.last_xact->unix_seconds, k0400_01, 1e-6);
}

TEST(RecoveryLog, StoppingVariantsWithoutLastCompleted) {
    const char *variants[] = {
        "recovery stopping after commit of transaction 745, time 2026-11-22 04:00:01.75+00",
        "recovery stopping before commit of transaction 745, time 2026-11-22 04:00:01.75+00",
        "recovery stopping after abort of transaction 745, time 2026-11-21 22:30:01.75-05:30",
        "recovery stopping before abort of transaction 745, time 2026-11-22 04:00:01.75 UTC",
        "recovery stopping at restore point \"a, time b\", time 2026-11-22 04:00:01.75+00",
    };
    for (const char *v : variants) {
        std::string log = std::string(kHead) + "2026-11-22 04:10:01 UTC [102] LOG:  " + v + "\n";
        RecoveryLog r = parse_recovery_log(log);
        ASSERT_TRUE(r.last_xact) << v;
        ASSERT_TRUE(r.last_xact->unix_seconds) << v;
        EXPECT_NEAR(*r.last_xact->unix_seconds, k0400_01 + 0.75, 1e-6) << v;
    }
}

TEST(RecoveryLog, LastOfSeveralAndNoTimes) {
    std::string log = std::string(kHead) +
                      "LOG:  last completed transaction was at log time 2026-11-22 03:00:00+00\n"
                      "LOG:  recovery stopping after WAL location (LSN) \"0/5000100\"\n"
                      "LOG:  last completed transaction was at log time 2026-11-22 04:00:01+00";
    RecoveryLog r = parse_recovery_log(log);
    ASSERT_TRUE(r.last_xact);
    EXPECT_NEAR(*r.last_xact->unix_seconds, k0400_01, 1e-6);

    // LSN and consistency stops carry no time; no transaction replayed.
    r = parse_recovery_log(std::string(kHead) +
                           "LOG:  recovery stopping after reaching consistency\n"
                           "LOG:  recovery stopping before WAL location (LSN) \"0/5000100\"\n");
    EXPECT_FALSE(r.last_xact);
    EXPECT_EQ(r.new_timeline, 0u);
}

TEST(RecoveryLog, UnknownZoneKeepsText) {
    RecoveryLog r = parse_recovery_log(
        "LOG:  last completed transaction was at log time 2026-11-22 05:00:01.1 CET\n");
    ASSERT_TRUE(r.last_xact);
    EXPECT_EQ(r.last_xact->text, "2026-11-22 05:00:01.1 CET");
    EXPECT_FALSE(r.last_xact->unix_seconds);
}

TEST(RecoveryLog, LoggingCollector) {
    RecoveryLog r = parse_recovery_log(
        "2026-11-22 04:10:00.001 UTC [100] LOG:  redirecting log output to logging collector "
        "process\n2026-11-22 04:10:00.001 UTC [100] HINT:  Future log output will appear in "
        "directory \"log\".\n");
    EXPECT_TRUE(r.collector);
    EXPECT_FALSE(r.last_xact);
}

TEST(RecoveryLog, UnreadableFile) {
    TempDir dir;
    try {
        read_recovery_log(dir / "missing.log");
        FAIL() << "no error";
    } catch (const Error &e) {
        EXPECT_NE(std::string(e.what()).find("missing.log"), std::string::npos) << e.what();
    }
}

namespace {

// An archived object as the archiver names it, with the given mtime.
void add_wal(const TempDir &repo, const std::string &name, time_t mtime) {
    std::string path = repo / ("db/archive/" + wal_archive_subdir(name) + "/" +
                               wal_object_name(name, std::string(64, 'a')));
    write_text(path, "x");
    struct utimbuf t = {mtime, mtime};
    ASSERT_EQ(::utime(path.c_str(), &t), 0);
}

Config repo_config(const TempDir &repo) {
    Config c;
    c.repo_root = repo.path();
    c.stanza = "db";
    return c;
}

} // namespace

TEST(RecoveryReport, NewestWal) {
    TempDir repo;
    add_wal(repo, "000000010000000000000004", 1795320000);
    add_wal(repo, "000000010000000000000005", 1795320005);
    add_wal(repo, "000000010000000000000006.partial", 1795320100);
    add_wal(repo, "000000010000000000000005.00000028.backup", 1795320101);
    add_wal(repo, "00000002.history", 1795320102);
    add_wal(repo, "000000020000000000000006", 1795320200);
    RepoLayout layout = RepoLayout::for_read(repo_config(repo));

    NewestWal all = newest_archived_wal(layout, 0);
    EXPECT_EQ(all.name, "000000020000000000000006");
    // Timeline 2 is the restored server's own: left out.
    NewestWal w = newest_archived_wal(layout, 2);
    EXPECT_EQ(w.name, "000000010000000000000005");
    ASSERT_TRUE(w.archived_time);
    EXPECT_NEAR(*w.archived_time, 1795320005, 1e-6);

    TempDir empty;
    NewestWal none = newest_archived_wal(RepoLayout::for_read(repo_config(empty), true), 0);
    EXPECT_EQ(none.name, "");
    EXPECT_FALSE(none.archived_time);
}

TEST(RecoveryReport, FiguresFromLogAndRepository) {
    TempDir repo;
    add_wal(repo, "000000010000000000000005", 1795320005);
    add_wal(repo, "000000020000000000000006", 1795320300);
    std::string log = repo / "start.log";
    write_text(log, std::string(kHead) +
                        "LOG:  last completed transaction was at log time "
                        "2026-11-22 04:00:01.123456+00\nLOG:  selected new timeline ID: 2\n");
    RecoveryFigures f = read_recovery_figures(repo_config(repo), log);
    EXPECT_EQ(f.newest_wal, "000000010000000000000005");
    ASSERT_TRUE(f.rpo_seconds);
    EXPECT_NEAR(*f.rpo_seconds, 4 - 0.123456, 1e-6);
    EXPECT_EQ(f.rpo_note, "");
}

TEST(RecoveryReport, RpoRules) {
    RecoveryLog log;
    log.last_xact = LoggedTime{"t", k0400_01 + 10};
    NewestWal wal{"000000010000000000000005", k0400_01};
    RecoveryFigures f = make_recovery_figures(8.1, 4.2, log, wal, "l.log");
    EXPECT_NEAR(f.rto_seconds, 12.3, 1e-9);
    EXPECT_NEAR(f.restore_seconds, 8.1, 1e-9);
    EXPECT_NEAR(f.replay_seconds, 4.2, 1e-9);
    ASSERT_TRUE(f.rpo_seconds);
    EXPECT_EQ(*f.rpo_seconds, 0); // a commit after the last archive time: nothing lost

    f = make_recovery_figures(1, 1, RecoveryLog{}, wal, "l.log");
    EXPECT_FALSE(f.rpo_seconds);
    EXPECT_NE(f.rpo_note.find("names no replayed transaction"), std::string::npos) << f.rpo_note;

    RecoveryLog collector;
    collector.collector = true;
    f = make_recovery_figures(1, 1, collector, NewestWal{}, "l.log");
    EXPECT_NE(f.rpo_note.find("logging_collector"), std::string::npos) << f.rpo_note;
    EXPECT_NE(f.rpo_note.find("no archived WAL segment"), std::string::npos) << f.rpo_note;

    RecoveryLog cet;
    cet.last_xact = LoggedTime{"2026-11-22 05:00:01 CET", std::nullopt};
    f = make_recovery_figures(1, 1, cet, wal, "l.log");
    EXPECT_FALSE(f.rpo_seconds);
    EXPECT_NE(f.rpo_note.find("CET"), std::string::npos) << f.rpo_note;
}
