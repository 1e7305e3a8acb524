// The S3 client's small parsers: shared-credentials files and S3's XML answers.
#include "storage/s3/credentials.h"
#include "storage/s3/xml.h"
#include "temp_dir.h"
#include "util/error.h"

#include <gtest/gtest.h>

using namespace safekeep;
using namespace safekeep::s3;

TEST(S3Credentials, ProfilesAndToken) {
    const std::string text = "# comment\n"
                             "[default]\n"
                             "aws_access_key_id = AKIADEFAULT\n"
                             "aws_secret_access_key=secretdefault\n"
                             "\n"
                             "[profile backup]\r\n"
                             "  aws_access_key_id   =  AKIABACKUP  \r\n"
                             "; another comment\n"
                             "aws_secret_access_key = se/cr+et==\n"
                             "aws_session_token = tok+en/==\n"
                             "region = eu-west-1\n";
    Credentials d = parse_credentials(text, "f", "default");
    EXPECT_EQ(d.access_key, "AKIADEFAULT");
    EXPECT_EQ(d.secret_key, "secretdefault");
    EXPECT_EQ(d.session_token, "");
    Credentials b = parse_credentials(text, "f", "backup");
    EXPECT_EQ(b.access_key, "AKIABACKUP");
    EXPECT_EQ(b.secret_key, "se/cr+et==");
    EXPECT_EQ(b.session_token, "tok+en/==");
}

TEST(S3Credentials, ErrorsNameFileAndProfileNotSecret) {
    const std::string text =
        "[a]\naws_access_key_id = AKIA\n[b]\naws_secret_access_key = hunter2\n";
    try {
        parse_credentials(text, "/etc/creds", "missing");
        FAIL() << "no error";
    } catch (const Error &e) {
        EXPECT_STREQ(e.what(),
                     "AWS credentials file /etc/creds, profile [missing]: no such profile");
    }
    try {
        parse_credentials(text, "/etc/creds", "a");
        FAIL() << "no error";
    } catch (const Error &e) {
        EXPECT_NE(std::string(e.what()).find("aws_secret_access_key is missing"),
                  std::string::npos);
    }
    try {
        parse_credentials(text, "/etc/creds", "b");
        FAIL() << "no error";
    } catch (const Error &e) {
        EXPECT_NE(std::string(e.what()).find("aws_access_key_id is missing"), std::string::npos);
        EXPECT_EQ(std::string(e.what()).find("hunter2"), std::string::npos);
    }
}

TEST(S3Credentials, LoadFromFile) {
    test::TempDir dir;
    test::write_text(dir / "credentials", "[p]\naws_access_key_id=K\naws_secret_access_key=S\n");
    Credentials c = load_credentials(dir / "credentials", "p");
    EXPECT_EQ(c.access_key, "K");
    EXPECT_EQ(c.secret_key, "S");
    try {
        load_credentials(dir / "nope", "p");
        FAIL() << "no error";
    } catch (const Error &e) {
        EXPECT_NE(std::string(e.what()).find(dir / "nope"), std::string::npos) << e.what();
        EXPECT_NE(std::string(e.what()).find("[p]"), std::string::npos) << e.what();
    }
}

TEST(S3Xml, Entities) {
    EXPECT_EQ(xml_decode("a&amp;b&lt;c&gt;d&quot;e&apos;f&#65;&#x42;&#xe9;&bogus;&"),
              "a&b<c>d\"e'fAB\xc3\xa9&bogus;&");
    EXPECT_EQ(xml_escape("<a & 'b'>\"\n"), "&lt;a &amp; &apos;b&apos;&gt;&quot;&#10;");
    EXPECT_EQ(xml_decode(xml_escape("k&<>\"'\n")), "k&<>\"'\n");
}

TEST(S3Xml, ListObjectsV2Page) {
    const std::string body =
        R"(<?xml version="1.0" encoding="UTF-8"?>)"
        R"(<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>b</Name>)"
        R"(<Prefix>p/</Prefix><KeyCount>2</KeyCount><MaxKeys>2</MaxKeys><IsTruncated>true</IsTruncated>)"
        R"(<Contents><Key>p/a&amp;b</Key><LastModified>2026-01-01T00:00:00.000Z</LastModified>)"
        R"(<ETag>&quot;abc&quot;</ETag><Size>12</Size><StorageClass>STANDARD</StorageClass></Contents>)"
        R"(<Contents><Key>p/big</Key><Size>5368709120</Size></Contents>)"
        R"(<Contents><Key>p/odd</Key><LastModified>yesterday</LastModified><Size>1</Size>)"
        R"(</Contents><Contents><Key>p/c</Key><Size>3</Size>)"
        R"(<LastModified>2026-11-22T08:55:01.250Z</LastModified></Contents>)"
        R"(<CommonPrefixes><Prefix>p/archive/</Prefix></CommonPrefixes>)"
        R"(<CommonPrefixes><Prefix>p/a&amp;b/</Prefix></CommonPrefixes>)"
        R"(<NextContinuationToken>1ueGcx+LPR/x=</NextContinuationToken></ListBucketResult>)";
    ListPage p = parse_list_page(body);
    ASSERT_EQ(p.objects.size(), 4u);
    EXPECT_EQ(p.objects[0].key, "p/a&b");
    EXPECT_EQ(p.objects[0].size, 12u);
    EXPECT_EQ(p.objects[0].mtime, 1767225600.0); // 2026-01-01T00:00:00Z
    EXPECT_EQ(p.objects[1].size, 5368709120ull);
    EXPECT_EQ(p.objects[1].mtime, 0.0); // no LastModified: unknown
    EXPECT_EQ(p.objects[2].mtime, 0.0); // unreadable: unknown too, not an error
    EXPECT_EQ(p.objects[3].mtime, 1795337701.25);
    // With delimiter=/ the names below which deeper objects lie.
    EXPECT_EQ(p.prefixes, (std::vector<std::string>{"p/archive/", "p/a&b/"}));
    EXPECT_TRUE(p.truncated);
    EXPECT_EQ(p.next_token, "1ueGcx+LPR/x=");

    ListPage last = parse_list_page("<ListBucketResult><KeyCount>0</KeyCount>"
                                    "<IsTruncated>false</IsTruncated></ListBucketResult>");
    EXPECT_TRUE(last.objects.empty());
    EXPECT_FALSE(last.truncated);
    EXPECT_THROW(parse_list_page("<Contents><Key>x</Key>"), Error);
    EXPECT_THROW(
        parse_list_page("<ListBucketResult><Contents><Key>x</Key><Size>1</Size></Contents>"),
        Error); // cut off after a whole entry
    EXPECT_THROW(parse_list_page("<ListBucketResult><CommonPrefixes></CommonPrefixes>"
                                 "</ListBucketResult>"),
                 Error);
}

TEST(S3Xml, ErrorsAndUploadId) {
    S3ErrorDoc e = parse_error("<?xml version=\"1.0\"?><Error><Code>NoSuchKey</Code>"
                               "<Message>The key &apos;x&apos; does not exist</Message>"
                               "<Key>x</Key></Error>");
    EXPECT_EQ(e.code, "NoSuchKey");
    EXPECT_EQ(e.message, "The key 'x' does not exist");
    EXPECT_TRUE(parse_error("").code.empty());
    EXPECT_EQ(
        xml_text("<InitiateMultipartUploadResult><Bucket>b</Bucket><UploadId>VXB-s_</UploadId>"
                 "</InitiateMultipartUploadResult>",
                 "UploadId")
            .value(),
        "VXB-s_");
    auto errs =
        xml_blocks("<DeleteResult><Deleted><Key>a</Key></Deleted>"
                   "<Error><Key>b</Key><Code>AccessDenied</Code><Message>no</Message></Error>"
                   "<Error><Key>c</Key><Code>InternalError</Code></Error></DeleteResult>",
                   "Error");
    ASSERT_EQ(errs.size(), 2u);
    EXPECT_EQ(xml_text(errs[1], "Key").value(), "c");
    EXPECT_EQ(xml_text("<a><Empty/></a>", "Empty").value(), "");
    EXPECT_FALSE(xml_text("<KeyCount>1</KeyCount>", "Key").has_value());
}
