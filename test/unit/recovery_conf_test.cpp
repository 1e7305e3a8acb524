#include "restore/recovery_conf.h"
#include "restore/select.h"
#include "util/error.h"

#include <gtest/gtest.h>

using namespace safekeep;

TEST(RecoveryConf, ShellQuoting) {
    EXPECT_EQ(shell_quote("/usr/bin/x"), "'/usr/bin/x'");
    EXPECT_EQ(shell_quote("it's"), "'it'\\''s'");
}

TEST(RecoveryConf, RestoreCommand) {
    EXPECT_EQ(restore_command_value("/usr/bin/pg_safekeep", {{"repo1-path", "/srv/repo"}}, "main"),
              "'/usr/bin/pg_safekeep' archive-get %f \"%p\" --repo1-path='/srv/repo' "
              "--stanza='main'");
    // quotes are escaped for the shell and % is doubled; conf_writer quotes the whole
    EXPECT_EQ(restore_command_value("/opt/o'k/pg_safekeep", {{"repo1-path", "/r%x"}}, "s"),
              "'/opt/o'\\''k/pg_safekeep' archive-get %f \"%p\" --repo1-path='/r%%x' "
              "--stanza='s'");
    // The line as written: shell quotes and backslashes doubled for the lexer.
    std::string line = conf_line(
        {"restore_command", restore_command_value("/t", {{"repo1-path", "/a b/it's\\x%"}}, "s")});
    EXPECT_EQ(line, "restore_command = '''/t'' archive-get %f \"%p\" "
                    "--repo1-path=''/a b/it''\\\\''''s\\\\x%%'' --stanza=''s'''\n");
}

static std::string text(const ConfSettings &s) {
    return recovery_conf_text(s);
}

TEST(RecoveryConf, TargetSettings) {
    RestoreTarget t;
    std::string none = text(recovery_settings("/t", {{"repo1-path", "/r"}}, "s", t, {}));
    EXPECT_NE(none.find("restore_command = "), std::string::npos);
    EXPECT_EQ(none.find("recovery_target"), std::string::npos);

    t.type = "time";
    t.value = "2026-11-22 01:30:45+00";
    t.inclusive = false;
    std::string s =
        text(recovery_settings("/t", {{"repo1-path", "/r"}}, "s", t, {{"work_mem", "8MB"}}));
    EXPECT_NE(s.find("recovery_target_time = '2026-11-22 01:30:45+00'\n"), std::string::npos);
    EXPECT_NE(s.find("recovery_target_inclusive = 'false'\n"), std::string::npos);
    EXPECT_NE(s.find("recovery_target_action = 'promote'\n"), std::string::npos);
    EXPECT_NE(s.find("work_mem = '8MB'\n"), std::string::npos);

    t = RestoreTarget();
    t.type = "immediate";
    t.action = "pause";
    s = text(recovery_settings("/t", {{"repo1-path", "/r"}}, "s", t, {}));
    EXPECT_NE(s.find("recovery_target = 'immediate'\n"), std::string::npos);
    EXPECT_NE(s.find("recovery_target_action = 'pause'\n"), std::string::npos);
    EXPECT_EQ(s.find("recovery_target_inclusive"), std::string::npos);

    t.type = "name";
    t.value = "before'drop \\ now";
    t.action = "";
    s = text(recovery_settings("/t", {{"repo1-path", "/r"}}, "s", t, {}));
    EXPECT_NE(s.find("recovery_target_name = 'before''drop \\\\ now'\n"), std::string::npos);

    t.type = "bogus";
    EXPECT_THROW(recovery_settings("/t", {{"repo1-path", "/r"}}, "s", t, {}), Error);
    t.type = "xid";
    t.action = "explode";
    EXPECT_THROW(recovery_settings("/t", {{"repo1-path", "/r"}}, "s", t, {}), Error);
}

// The issue's attack: the name is refused before any line is built.
TEST(RecoveryConf, InjectedRestorePointNameIsRefused) {
    RestoreTarget t;
    t.type = "name";
    t.value = "\\'\ninclude = base/../../../../evil.conf\n#";
    try {
        recovery_settings("/t", {{"repo1-path", "/r"}}, "s", t, {});
        FAIL();
    } catch (const Error &e) {
        EXPECT_STREQ(e.what(), "invalid restore point name: it contains a control character "
                               "(0x0a at byte 3)");
    }
    t.value = std::string(64, 'x');
    EXPECT_THROW(recovery_settings("/t", {{"repo1-path", "/r"}}, "s", t, {}), Error);
    // An extra setting smuggling a line is refused with its name.
    t = RestoreTarget();
    try {
        text(recovery_settings("/t", {{"repo1-path", "/r"}}, "s", t,
                               {{"port", "1\ncluster_name = x"}}));
        FAIL();
    } catch (const Error &e) {
        EXPECT_NE(std::string(e.what()).find("\"port\""), std::string::npos) << e.what();
    }
    // A repository path with a newline makes restore_command unwritable.
    EXPECT_THROW(
        conf_line({"restore_command", restore_command_value("/t", {{"repo1-path", "/r\n"}}, "s")}),
        Error);
}

static BackupEntry entry(const std::string &label, int64_t stop) {
    BackupEntry b;
    b.label = label;
    b.manifest.label = label;
    b.manifest.stop_time = stop;
    return b;
}

TEST(SelectBackup, ByLabelTimeAndNewest) {
    std::vector<BackupEntry> v = {entry("20260101-000000F", 100), entry("20260102-000000F", 200),
                                  entry("20260103-000000F", 300)};
    RestoreTarget none;
    EXPECT_EQ(select_backup(v, "", none, "R").label, "20260103-000000F");
    EXPECT_EQ(select_backup(v, "20260101-000000F", none, "R").label, "20260101-000000F");
    try {
        select_backup(v, "20990101-000000F", none, "R");
        FAIL();
    } catch (const NotFound &e) {
        EXPECT_NE(std::string(e.what()).find("backup \"20990101-000000F\" does not exist"),
                  std::string::npos);
    }
    RestoreTarget t;
    t.type = "time";
    t.time_unix = 250;
    EXPECT_EQ(select_backup(v, "", t, "R").label, "20260102-000000F");
    t.time_unix = 200;
    EXPECT_EQ(select_backup(v, "", t, "R").label, "20260102-000000F");
    t.time_unix = 99;
    try {
        select_backup(v, "", t, "R");
        FAIL();
    } catch (const NotFound &e) {
        EXPECT_NE(std::string(e.what()).find("no backup ends before the target time"),
                  std::string::npos);
    }
    EXPECT_THROW(select_backup({}, "", none, "R"), NotFound);
}

// An xid or restore point with its moment chooses the backup that ended
// before it; without the moment, the newest backup.
TEST(SelectBackup, XidAndNameByTime) {
    std::vector<BackupEntry> v = {entry("20260101-000000F", 100), entry("20260102-000000F", 200),
                                  entry("20260103-000000F", 300)};
    for (const char *type : {"xid", "name"}) {
        RestoreTarget t;
        t.type = type;
        t.value = "1234";
        EXPECT_EQ(select_backup(v, "", t, "R").label, "20260103-000000F") << type;
        t.time_unix = 250;
        EXPECT_EQ(select_backup(v, "", t, "R").label, "20260102-000000F") << type;
        EXPECT_EQ(select_backup(v, "20260103-000000F", t, "R").label, "20260103-000000F") << type;
        t.time_unix = 50;
        try {
            select_backup(v, "", t, "R");
            FAIL() << type;
        } catch (const NotFound &e) {
            EXPECT_NE(std::string(e.what()).find("no backup ends before the target time "
                                                 "1970-01-01 00:00:50 UTC"),
                      std::string::npos)
                << e.what();
        }
    }
    // Other types ignore the time.
    RestoreTarget lsn;
    lsn.type = "lsn";
    lsn.time_unix = 50;
    EXPECT_EQ(select_backup(v, "", lsn, "R").label, "20260103-000000F");
}
