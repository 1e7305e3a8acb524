// The tool's --config reader and repository options (src/cli).
#include "cli_error.h"
#include "conf_file.h"
#include "repo_config.h"
#include "temp_dir.h"

#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

using namespace safekeep::cli;
using safekeep::test::TempDir;
using safekeep::test::write_text;

namespace {

ParsedArgs parse(const std::vector<std::string> &args) {
    return parse_options("test", args, repo_option_specs());
}

// The UsageError message of building a RepoConfig from args ("" when none).
std::string usage_error(const std::vector<std::string> &args) {
    try {
        RepoConfig repo(parse(args));
    } catch (const UsageError &e) {
        return e.what();
    }
    return "";
}

std::string str(const char *s) {
    return s ? s : "";
}

} // namespace

TEST(cliConfFile, QuotingCommentsAndOverrides) {
    TempDir dir;
    write_text(dir / "postgresql.conf",
               "# a comment\n"
               "\n"
               "shared_preload_libraries = 'pg_safekeep'   # server setting, ignored\n"
               "safekeep.repo1_path = '/first'\n"
               "  SafeKeep.Repo1_Path='/second'  # later line wins, names in any case\n"
               "safekeep.repo2_s3_bucket 'it''s'\n"
               "safekeep.repo2_s3_prefix = 'a\\'b\\\\c # not a comment'\n"
               "safekeep.repo2_s3_verify_tls = off\n"
               "safekeep.repo2_s3_part_size = 16MB\n"
               "safekeep.repo3_type=s3#comment right after\n"
               "safekeep.repo4_path = ''\n");
    auto s = read_safekeep_conf(dir / "postgresql.conf");
    EXPECT_EQ(s.count("shared_preload_libraries"), 0u);
    EXPECT_EQ(s.at("repo1_path").value, "/second");
    EXPECT_EQ(s.at("repo1_path").line, 5);
    EXPECT_EQ(s.at("repo2_s3_bucket").value, "it's");
    EXPECT_EQ(s.at("repo2_s3_prefix").value, "a'b\\c # not a comment");
    EXPECT_EQ(s.at("repo2_s3_verify_tls").value, "off");
    EXPECT_EQ(s.at("repo2_s3_part_size").value, "16MB");
    EXPECT_EQ(s.at("repo3_type").value, "s3");
    EXPECT_EQ(s.at("repo4_path").value, "");
    EXPECT_EQ(s.at("repo1_path").origin("repo1_path"),
              "safekeep.repo1_path in " + (dir / "postgresql.conf") + ":5");
}

TEST(cliConfFile, Includes) {
    TempDir dir;
    write_text(dir / "postgresql.conf", "safekeep.repo1_path = '/main'\n"
                                        "include 'sub/extra.conf'\n"
                                        "include_if_exists 'missing.conf'\n"
                                        "include_dir 'conf.d'\n");
    write_text(dir / "sub/extra.conf", "safekeep.repo1_path = '/extra'\n"
                                       "safekeep.repo2_path = '/two'\n");
    write_text(dir / "conf.d/10-a.conf", "safekeep.repo2_path = '/two-a'\n");
    write_text(dir / "conf.d/20-b.conf", "safekeep.repo2_path = '/two-b'\n");
    write_text(dir / "conf.d/30-c.txt", "safekeep.repo2_path = '/ignored'\n");
    auto s = read_safekeep_conf(dir / "postgresql.conf");
    EXPECT_EQ(s.at("repo1_path").value, "/extra");
    EXPECT_EQ(s.at("repo2_path").value, "/two-b");

    write_text(dir / "loop.conf", "include 'loop.conf'\n");
    EXPECT_THROW(read_safekeep_conf(dir / "loop.conf"), UsageError);
    write_text(dir / "bad_include.conf", "include 'nope.conf'\n");
    EXPECT_THROW(read_safekeep_conf(dir / "bad_include.conf"), UsageError);
}

TEST(cliConfFile, SyntaxErrors) {
    TempDir dir;
    auto error_of = [&](const std::string &text) -> std::string {
        write_text(dir / "x.conf", "# first line\n" + text + "\n");
        try {
            read_safekeep_conf(dir / "x.conf");
        } catch (const UsageError &e) {
            return e.what();
        }
        return "";
    };
    EXPECT_NE(error_of("safekeep.repo1_path = '/x").find("x.conf:2: unterminated"),
              std::string::npos);
    EXPECT_NE(error_of("safekeep.repo1_path =").find("has no value"), std::string::npos);
    EXPECT_NE(error_of("safekeep.repo1_path = '/x' junk").find("x.conf:2: syntax error"),
              std::string::npos);
    EXPECT_NE(error_of("= 3").find("syntax error"), std::string::npos);
    EXPECT_EQ(error_of("   # only a comment"), "");
    EXPECT_THROW(read_safekeep_conf(dir / "missing.conf"), UsageError);
}

TEST(cliConfFile, Booleans) {
    for (const char *t : {"on", "ON", "true", "t", "yes", "y", "1"})
        EXPECT_EQ(parse_conf_bool(t), std::optional<bool>(true)) << t;
    for (const char *f : {"off", "of", "false", "f", "no", "n", "0", "No"})
        EXPECT_EQ(parse_conf_bool(f), std::optional<bool>(false)) << f;
    for (const char *bad : {"", "o", "maybe", "2", "yess"})
        EXPECT_FALSE(parse_conf_bool(bad).has_value()) << bad;
}

TEST(cliRepoConfig, Repo1PathAloneIsPosixAndAbsolute) {
    RepoConfig repo(parse({"--repo1-path=rel/dir/", "--stanza=main"}));
    const sk_config *c = repo.get();
    const std::string expected = (std::filesystem::current_path() / "rel/dir").string();
    EXPECT_EQ(str(c->repos[0].type), "posix");
    EXPECT_EQ(str(c->repos[0].path), expected);
    EXPECT_EQ(repo.path(), expected);
    EXPECT_EQ(repo.describe(), expected);
    EXPECT_EQ(str(c->stanza), "main");
    EXPECT_EQ(c->read_repo, 0);
    EXPECT_EQ(c->repos[0].s3_verify_tls, 1);
    EXPECT_EQ(c->repos[0].s3_part_size_mb, 0);
    for (int i = 1; i < SK_MAX_REPOS; i++)
        EXPECT_TRUE(str(c->repos[i].type).empty() && str(c->repos[i].path).empty());
}

TEST(cliRepoConfig, ConfigFileThenOptionsOverride) {
    TempDir dir;
    write_text(dir / "postgresql.conf", "safekeep.repo1_path = 'repo'\n" // relative to the file
                                        "safekeep.repo2_type = 's3'\n"
                                        "safekeep.repo2_s3_bucket = 'b'\n"
                                        "safekeep.repo2_s3_prefix = '/p'\n"
                                        "safekeep.repo2_s3_verify_tls = off\n"
                                        "safekeep.repo2_s3_part_size = 32\n"
                                        "safekeep.repo2_s3_region = 'eu-west-1'\n"
                                        "safekeep.repo2_cipher = 'aes-256-gcm'\n"
                                        "safekeep.repo2_cipher_passphrase_file = '/etc/pass'\n"
                                        "safekeep.repo2_unknown_thing = 'x'\n"
                                        "safekeep.repo9_path = '/nine'\n"
                                        "safekeep.compress_level = 5\n");
    RepoConfig repo(parse({"--config", dir / "postgresql.conf", "--repo2-s3-region=us-east-2",
                           "--repo2-s3-part-size=1GB", "--repo=2"}));
    const sk_config *c = repo.get();
    EXPECT_EQ(str(c->repos[0].path), dir / "repo");
    const sk_repo_config &r2 = c->repos[1];
    EXPECT_EQ(str(r2.type), "s3");
    EXPECT_EQ(str(r2.path), "");
    EXPECT_EQ(str(r2.s3_bucket), "b");
    EXPECT_EQ(str(r2.s3_region), "us-east-2");
    EXPECT_EQ(r2.s3_verify_tls, 0);
    EXPECT_EQ(r2.s3_part_size_mb, 1024);
    EXPECT_EQ(str(r2.cipher), "aes-256-gcm");
    EXPECT_EQ(str(r2.cipher_passphrase_file), "/etc/pass");
    EXPECT_EQ(c->read_repo, 2);
    EXPECT_EQ(repo.describe(), "repo2 s3://b/p");

    const std::vector<std::string> expected = {"--repo1-type=posix",
                                               "--repo1-path=" + (dir / "repo"),
                                               "--repo2-type=s3",
                                               "--repo2-s3-bucket=b",
                                               "--repo2-s3-region=us-east-2",
                                               "--repo2-s3-prefix=/p",
                                               "--repo2-s3-verify-tls=n",
                                               "--repo2-s3-part-size=1024",
                                               "--repo2-cipher=aes-256-gcm",
                                               "--repo2-cipher-passphrase-file=/etc/pass",
                                               "--repo=2"};
    EXPECT_EQ(repo.as_options(), expected);
    // The options reproduce the same configuration.
    RepoConfig again(parse(repo.as_options()));
    EXPECT_EQ(again.as_options(), expected);

    // An empty option unsets what the file said.
    RepoConfig no_repo1(parse({"--config=" + (dir / "postgresql.conf"), "--repo1-path="}));
    EXPECT_FALSE(no_repo1.configured(1));
    EXPECT_TRUE(no_repo1.configured(2));
    EXPECT_EQ(no_repo1.path(), "");
}

TEST(cliRepoConfig, PointersSurviveMoreStrings) {
    std::vector<std::string> args;
    for (int n = 1; n <= 4; n++) {
        const std::string p = "--repo" + std::to_string(n) + "-";
        args.insert(args.end(), {p + "type=s3", p + "s3-bucket=bucket" + std::to_string(n),
                                 p + "s3-endpoint=https://e" + std::to_string(n),
                                 p + "s3-credentials-file=/c" + std::to_string(n),
                                 p + "s3-profile=prof" + std::to_string(n)});
    }
    RepoConfig repo(parse(args));
    for (int i = 0; i < 4; i++) {
        const std::string n = std::to_string(i + 1);
        EXPECT_EQ(str(repo.get()->repos[i].s3_bucket), "bucket" + n);
        EXPECT_EQ(str(repo.get()->repos[i].s3_endpoint), "https://e" + n);
        EXPECT_EQ(str(repo.get()->repos[i].s3_credentials_file), "/c" + n);
        EXPECT_EQ(str(repo.get()->repos[i].s3_profile), "prof" + n);
    }
}

TEST(cliRepoConfig, Errors) {
    auto has = [](const std::string &error, const std::string &part) {
        return error.find(part) != std::string::npos;
    };
    EXPECT_TRUE(has(usage_error({}), "no repository given"));
    EXPECT_TRUE(has(usage_error({"--stanza=x"}), "no repository given"));
    EXPECT_TRUE(has(usage_error({"--repo1-type=nfs"}), "--repo1-type must be posix or s3"));
    EXPECT_TRUE(
        has(usage_error({"--repo2-type=s3", "--repo2-s3-bucket=b", "--repo2-s3-uri-style=virtual"}),
            "--repo2-s3-uri-style must be path or host"));
    EXPECT_TRUE(has(usage_error({"--repo1-path=/x", "--repo1-cipher=aes"}),
                    "--repo1-cipher must be none or aes-256-gcm"));
    EXPECT_TRUE(has(usage_error({"--repo1-path=/x", "--repo1-cipher=aes-256-gcm"}),
                    "--repo1-cipher-passphrase-file"));
    EXPECT_TRUE(has(usage_error({"--repo1-path=/x", "--repo1-s3-verify-tls=perhaps"}),
                    "--repo1-s3-verify-tls must be y or n"));
    EXPECT_TRUE(
        has(usage_error({"--repo1-path=/x", "--repo1-s3-part-size=16XB"}), "--repo1-s3-part-size"));
    EXPECT_TRUE(has(usage_error({"--repo1-path=/x", "--repo1-s3-part-size=4"}), "between 5MB"));
    EXPECT_TRUE(has(usage_error({"--repo1-path=/x", "--repo=5"}), "--repo must be between 1"));
    EXPECT_TRUE(has(usage_error({"--repo1-path=/x", "--repo=2"}),
                    "--repo=2: repository 2 is not configured"));
    EXPECT_TRUE(has(usage_error({"--repo1-type=s3"}), "give --repo1-s3-bucket"));
    EXPECT_TRUE(has(usage_error({"--repo1-type=posix"}), "give --repo1-path"));
    EXPECT_TRUE(has(usage_error({"--repo1-path=/x", "--repo2-s3-bucket=b"}),
                    "options for repository 2 given"));
    EXPECT_TRUE(has(usage_error({"--config="}), "--config needs a file name"));
    EXPECT_EQ(usage_error({"--repo1-path=/x", "--repo1-s3-part-size=16mb", "--repo=1"}), "");

    TempDir dir;
    write_text(dir / "pg.conf", "safekeep.repo3_type = 'ftp'\n");
    EXPECT_TRUE(has(usage_error({"--config=" + (dir / "pg.conf")}),
                    "safekeep.repo3_type in " + (dir / "pg.conf") + ":1 must be posix or s3"));
    // The option overrides the file's bad value.
    EXPECT_EQ(
        usage_error({"--config=" + (dir / "pg.conf"), "--repo3-type=posix", "--repo3-path=/y"}),
        "");
}
