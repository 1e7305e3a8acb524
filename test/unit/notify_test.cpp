// Message formatting of the notification senders; no network needed.
#include "notify/http_post.h"
#include "notify/smtp_mail.h"

#include <gtest/gtest.h>

using namespace safekeep;

TEST(Notify, UrlHostHidesPathAndCredentials) {
    EXPECT_EQ(url_host("https://hooks.slack.com/services/T0/B0/SECRET"), "hooks.slack.com");
    EXPECT_EQ(url_host("http://user:pw@127.0.0.1:8080/x?token=1"), "127.0.0.1:8080");
    EXPECT_EQ(url_host("http://example.org"), "example.org");
}

TEST(Notify, RedactUrlHidesPathQueryAndCredentials) {
    const std::string url = "https://bot:pw99@hooks.example/services/T0/B0/SECRET?x=1";
    EXPECT_EQ(redact_url("Could not resolve host: hooks.example", url),
              "Could not resolve host: hooks.example");
    EXPECT_EQ(redact_url("bad URL " + url, url), "bad URL [redacted]");
    EXPECT_EQ(redact_url("GET /services/T0/B0/SECRET?x=1 failed", url), "GET [redacted] failed");
    EXPECT_EQ(redact_url("login bot:pw99 refused", url), "login [redacted] refused");
    // A bare "/" path is not replaced everywhere.
    EXPECT_EQ(redact_url("a/b", "http://h/"), "a/b");
}

TEST(Notify, SplitAddresses) {
    auto v = split_addresses(" a@x.org, ,b@y.org ,");
    ASSERT_EQ(v.size(), 2u);
    EXPECT_EQ(v[0], "a@x.org");
    EXPECT_EQ(v[1], "b@y.org");
}

TEST(Notify, FormatMail) {
    SmtpOptions o;
    o.from = "backup@db.example";
    o.to = {"dba@example.org", "ops@example.org"};
    std::string m = format_mail(o, "backup failed\r\nBcc: evil@x", "line 1\nline 2", 0, "id1");
    EXPECT_NE(m.find("Date: Thu, 01 Jan 1970 00:00:00 +0000\r\n"), std::string::npos);
    EXPECT_NE(m.find("From: backup@db.example\r\n"), std::string::npos);
    EXPECT_NE(m.find("To: dba@example.org, ops@example.org\r\n"), std::string::npos);
    // CR/LF in the subject cannot start a new header.
    EXPECT_NE(m.find("Subject: backup failed  Bcc: evil@x\r\n"), std::string::npos);
    EXPECT_EQ(m.find("\r\nBcc:"), std::string::npos);
    EXPECT_NE(m.find("Message-ID: <id1@db.example>\r\n"), std::string::npos);
    EXPECT_NE(m.find("\r\n\r\nline 1\r\nline 2\r\n"), std::string::npos);
}

TEST(Notify, WebhookRefusesOtherSchemes) {
    EXPECT_THROW(http_post_json("ftp://x/y", "{}", 1), std::exception);
}
