// The one configuration writer: quoting as PostgreSQL's lexer reads it back,
// control characters refused with the setting named, names checked.
#include "repo/label.h"
#include "util/conf_writer.h"
#include "util/error.h"
#include "util/user_names.h"

#include <cstdio>
#include <gtest/gtest.h>
#include <string>
#include <vector>

using namespace safekeep;

namespace {

// The message of the Error f throws ("" when it does not throw).
template <typename F> std::string error_of(F &&f) {
    try {
        f();
    } catch (const Error &e) {
        return e.what();
    }
    return "";
}

// What guc-file.l + GUC_scanstr read back from a quoted value (the subset
// the writer emits: '' and \x escapes), or "<bad>" if it is not one token.
std::string lexer_reads(const std::string &quoted) {
    if (quoted.size() < 2 || quoted.front() != '\'' || quoted.back() != '\'')
        return "<bad>";
    std::string out;
    for (size_t i = 1; i + 1 < quoted.size(); i++) {
        char c = quoted[i];
        if (c == '\n')
            return "<bad>";
        if (c == '\'') {
            if (i + 2 < quoted.size() && quoted[i + 1] == '\'') {
                out += '\'';
                i++;
                continue;
            }
            return "<bad>"; // the token ended early
        }
        if (c == '\\') {
            if (i + 2 >= quoted.size())
                return "<bad>";
            out += quoted[++i];
            continue;
        }
        out += c;
    }
    return out;
}

} // namespace

TEST(ConfWriter, QuotesExactly) {
    EXPECT_EQ(conf_quoted_value("x", ""), "''");
    EXPECT_EQ(conf_quoted_value("x", "plain"), "'plain'");
    EXPECT_EQ(conf_quoted_value("x", "it's"), "'it''s'");
    EXPECT_EQ(conf_quoted_value("x", "a\\b"), "'a\\\\b'");
    EXPECT_EQ(conf_quoted_value("x", "\\'"), "'\\\\'''");
    EXPECT_EQ(conf_quoted_value("x", "%p $(id) `id` ; # x"), "'%p $(id) `id` ; # x'");
    EXPECT_EQ(conf_quoted_value("x", "caf\xc3\xa9 \xff"), "'caf\xc3\xa9 \xff'");
    EXPECT_EQ(conf_line({"port", "5432"}), "port = '5432'\n");
    EXPECT_EQ(conf_line({"safekeep.launcher", "off"}), "safekeep.launcher = 'off'\n");
    EXPECT_EQ(conf_lines({{"a", "1"}, {"b", "x'y"}}, "added by test"),
              "# added by test\na = '1'\nb = 'x''y'\n");
}

TEST(ConfWriter, RoundTripsThroughTheLexer) {
    for (const std::string &v : std::vector<std::string>{
             "", "'", "''", "\\", "\\\\", "\\'", "'\\", "a'b\\c'd", "include = 'x'", "#", "'; #",
             "\\' include = x", std::string(10000, '\\'), std::string(10000, '\'')}) {
        std::string q = conf_quoted_value("recovery_target_name", v);
        EXPECT_EQ(lexer_reads(q), v) << q;
    }
}

TEST(ConfWriter, RefusesEveryControlCharacter) {
    for (int c = 0; c < 0x20; c++) {
        std::string v = "ab";
        v += static_cast<char>(c);
        v += "cd";
        char expect[160];
        std::snprintf(expect, sizeof expect,
                      "invalid value for setting \"recovery_target_name\": it contains a control "
                      "character (0x%02x at byte 3)",
                      c);
        EXPECT_EQ(error_of([&] { conf_quoted_value("recovery_target_name", v); }), expect) << c;
        EXPECT_EQ(error_of([&] { conf_line({"recovery_target_name", v}); }), expect) << c;
    }
    EXPECT_EQ(error_of([] {
                  conf_line({"restore_command", "x\x7f"});
              }),
              "invalid value for setting \"restore_command\": it contains a control character "
              "(0x7f at byte 2)");
    // The issue's attack, and the CLI's separate line.
    EXPECT_EQ(
        error_of([] {
            conf_line({"recovery_target_name", "\\'\ninclude = base/../../../../evil.conf\n#"});
        }),
        "invalid value for setting \"recovery_target_name\": it contains a control character "
        "(0x0a at byte 3)");
    EXPECT_EQ(error_of([] {
                  conf_line({"recovery_target_name", "x\r\ncluster_name = INJECTED"});
              }),
              "invalid value for setting \"recovery_target_name\": it contains a control character "
              "(0x0d at byte 2)");
    // NUL inside a std::string (a C caller cannot pass one, but the core may).
    EXPECT_NE(error_of([] {
                  conf_line({"port", std::string("54\0"
                                                 "32",
                                                 5)});
              }).find("(0x00 at byte 3)"),
              std::string::npos);
    // A comment cannot smuggle a line either.
    EXPECT_NE(error_of([] { conf_lines({}, "x\ninclude = y"); }).find("control character"),
              std::string::npos);
    // Bytes >= 0x80 (UTF-8 or not) are not control characters for the lexer.
    EXPECT_EQ(error_of([] { conf_line({"x", "\x80\x9f\xff"}); }), "");
}

TEST(ConfWriter, ChecksNames) {
    for (const char *ok : {"port", "work_mem", "safekeep.repo1_path", "_x", "A1.b_2"})
        EXPECT_EQ(error_of([&] { check_setting_name(ok); }), "") << ok;
    for (const std::string &bad : std::vector<std::string>{
             std::string(""), std::string("1port"), std::string(".x"), std::string("a b"),
             std::string("a=b"), std::string("a\nb"), std::string("a'b"), std::string("a-b"),
             std::string("a#"), std::string(201, 'a')}) {
        std::string m = error_of([&] { conf_line({bad, "v"}); });
        EXPECT_EQ(m.rfind("invalid setting name ", 0), 0u) << bad << ": " << m;
        EXPECT_EQ(m.find('\n'), std::string::npos) << m;
    }
    EXPECT_EQ(error_of([] { check_setting_name("a b"); }),
              "invalid setting name \"a b\": expected letters, digits, '_' and '.', starting with "
              "a letter or '_'");
}

TEST(UserNames, RestorePointNames) {
    for (const std::string &ok : std::vector<std::string>{
             std::string("before drop"), std::string("it's \\ here"), std::string("\\'"),
             std::string("caf\xc3\xa9"), std::string(63, 'x'), std::string("$(id) `id`; %p")})
        EXPECT_EQ(error_of([&] { check_restore_point_name(ok); }), "") << ok;
    EXPECT_EQ(error_of([] { check_restore_point_name(""); }),
              "invalid restore point name: it is empty");
    EXPECT_EQ(error_of([] { check_restore_point_name(std::string(64, 'x')); }),
              "invalid restore point name: it is 64 bytes long (at most 63)");
    EXPECT_EQ(error_of([] { check_restore_point_name("a\tb"); }),
              "invalid restore point name: it contains a control character (0x09 at byte 2)");
    EXPECT_EQ(error_of([] { check_restore_point_name("\xff\xfe"); }),
              "invalid restore point name: it is not valid UTF-8");
    EXPECT_EQ(error_of([] { check_restore_point_name("caf\xe9"); }),
              "invalid restore point name: it is not valid UTF-8");
}

TEST(UserNames, BackupLabels) {
    EXPECT_EQ(error_of([] { check_backup_label_arg("20260101-000000F", "--set"); }), "");
    EXPECT_EQ(
        error_of([] { check_backup_label_arg("20260101-000000F_20260102-000000I", "--set"); }), "");
    EXPECT_EQ(error_of([] { check_backup_label_arg("../../etc", "--set"); }),
              "invalid backup label \"../../etc\" for --set: expected YYYYMMDD-HHMMSSF or "
              "YYYYMMDD-HHMMSSF_YYYYMMDD-HHMMSSD (or I)");
    // Long or control-character values are described, not echoed.
    std::string m = error_of([] { check_backup_label_arg(std::string(10000, 'a'), "--set"); });
    EXPECT_NE(m.find("(10000 bytes, not shown)"), std::string::npos) << m;
    m = error_of([] { check_backup_label_arg("a\nb", "--set"); });
    EXPECT_EQ(m.find('\n'), std::string::npos) << m;
}
