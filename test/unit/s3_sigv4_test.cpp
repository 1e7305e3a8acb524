// SigV4 signing: AWS's published examples and test-suite vectors, then
// botocore (test/s3/sigv4_oracle.py) as an oracle for S3-style requests.
#include "s3_test_dir.h"
#include "storage/s3/sigv4.h"
#include "io/sha256.h"
#include "os/process.h"

#include <nlohmann/json.hpp>

#include <gtest/gtest.h>

#include <unistd.h>

using namespace safekeep;
using namespace safekeep::s3;

namespace {

const char *kEmptyHash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

// The S3 examples of "Signature Calculations for the Authorization Header"
// in the S3 API reference.
const char *kDocAccess = "AKIAIOSFODNN7EXAMPLE";
const char *kDocSecret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";

SignInput doc_get(const std::string &path, Params query, Params extra = {}) {
    SignInput in;
    in.method = "GET";
    in.path = path;
    in.query = std::move(query);
    in.payload_hash = kEmptyHash;
    in.date = "20130524T000000Z";
    in.headers = {{"Host", "examplebucket.s3.amazonaws.com"},
                  {"x-amz-content-sha256", kEmptyHash},
                  {"x-amz-date", in.date}};
    for (auto &h : extra)
        in.headers.push_back(h);
    return in;
}

// aws-sig-v4-test-suite: service "service", us-east-1, 20150830T123600Z.
SignInput suite(const std::string &method, Params query, Params extra = {}) {
    SignInput in;
    in.method = method;
    in.path = "/";
    in.query = std::move(query);
    in.payload_hash = kEmptyHash;
    in.date = "20150830T123600Z";
    in.headers = {{"Host", "example.amazonaws.com"}, {"X-Amz-Date", in.date}};
    for (auto &h : extra)
        in.headers.push_back(h);
    return in;
}

std::string suite_sig(const SignInput &in) {
    return Signer("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "us-east-1", "service")
        .signature(in);
}

} // namespace

TEST(Sigv4, UriEncode) {
    EXPECT_EQ(uri_encode("a b+c~d_e-f.g/h", true), "a%20b%2Bc~d_e-f.g/h");
    EXPECT_EQ(uri_encode("a/b", false), "a%2Fb");
    EXPECT_EQ(uri_encode("\xc3\xa9=&*", false), "%C3%A9%3D%26%2A");
}

TEST(Sigv4, CanonicalQuerySortsAndEncodes) {
    EXPECT_EQ(
        canonical_query({{"prefix", "a b"}, {"list-type", "2"}, {"continuation-token", "x+y/="}}),
        "continuation-token=x%2By%2F%3D&list-type=2&prefix=a%20b");
    // A delimiter listing: '/' in a value is %2F in the canonical query.
    EXPECT_EQ(canonical_query({{"list-type", "2"}, {"prefix", "s/"}, {"delimiter", "/"}}),
              "delimiter=%2F&list-type=2&prefix=s%2F");
    EXPECT_EQ(canonical_query({{"uploads", ""}}), "uploads=");
    EXPECT_EQ(canonical_query({}), "");
}

TEST(Sigv4, AmzDate) {
    EXPECT_EQ(amz_date(0), "19700101T000000Z");
    EXPECT_EQ(amz_date(1369353600), "20130524T000000Z");
}

TEST(Sigv4, AwsDocGetObjectWithRange) {
    SignInput in = doc_get("/test.txt", {}, {{"Range", "bytes=0-9"}});
    EXPECT_EQ(canonical_request(in), "GET\n/test.txt\n\n"
                                     "host:examplebucket.s3.amazonaws.com\n"
                                     "range:bytes=0-9\n"
                                     "x-amz-content-sha256:" +
                                         std::string(kEmptyHash) +
                                         "\n"
                                         "x-amz-date:20130524T000000Z\n\n"
                                         "host;range;x-amz-content-sha256;x-amz-date\n" +
                                         kEmptyHash);
    EXPECT_EQ(string_to_sign(in, "us-east-1", "s3"),
              "AWS4-HMAC-SHA256\n20130524T000000Z\n20130524/us-east-1/s3/aws4_request\n"
              "7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972");
    Signer s(kDocAccess, kDocSecret, "us-east-1");
    EXPECT_EQ(
        s.authorization(in),
        "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, "
        "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, "
        "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
    // The cached signing key gives the same answer again.
    EXPECT_EQ(s.signature(in), "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
}

TEST(Sigv4, AwsDocPutObject) {
    const std::string hash = "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072";
    SignInput in;
    in.method = "PUT";
    in.path = "/test$file.text";
    in.payload_hash = hash;
    in.date = "20130524T000000Z";
    in.headers = {{"Host", "examplebucket.s3.amazonaws.com"},
                  {"Date", "Fri, 24 May 2013 00:00:00 GMT"},
                  {"x-amz-date", in.date},
                  {"x-amz-storage-class", "REDUCED_REDUNDANCY"},
                  {"x-amz-content-sha256", hash}};
    EXPECT_EQ(Signer(kDocAccess, kDocSecret, "us-east-1").signature(in),
              "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd");
}

TEST(Sigv4, AwsDocGetBucketLifecycle) {
    EXPECT_EQ(
        Signer(kDocAccess, kDocSecret, "us-east-1").signature(doc_get("/", {{"lifecycle", ""}})),
        "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543");
}

TEST(Sigv4, AwsDocListObjects) {
    EXPECT_EQ(Signer(kDocAccess, kDocSecret, "us-east-1")
                  .signature(doc_get("/", {{"max-keys", "2"}, {"prefix", "J"}})),
              "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7");
}

TEST(Sigv4, TestSuiteVectors) {
    EXPECT_EQ(suite_sig(suite("GET", {})),
              "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"); // get-vanilla
    EXPECT_EQ(
        suite_sig(suite("GET", {{"Param2", "value2"}, {"Param1", "value1"}})),
        "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500"); // query-order-key-case
    const std::string unreserved =
        "-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    EXPECT_EQ(
        suite_sig(suite("GET", {{unreserved, unreserved}})),
        "9c3e54bfcdf0b19771a7f523ee5669cdf59bc7cc0884027167c21bb143a40197"); // query-unreserved
    EXPECT_EQ(suite_sig(suite("POST", {})),
              "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b"); // post-vanilla
    SignInput form = suite("POST", {}, {{"Content-Type", "application/x-www-form-urlencoded"}});
    form.payload_hash =
        "9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e"; // Param1=value1
    EXPECT_EQ(
        suite_sig(form),
        "ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a"); // post-x-www-form-urlencoded
}

TEST(Sigv4, BotocoreOracle) {
    const std::string py = "/usr/bin/python3";
    const std::string script = test::s3_test_dir() + "/sigv4_oracle.py";
    if (::access(py.c_str(), X_OK) != 0)
        GTEST_SKIP() << py << " is not installed";
    if (::access(script.c_str(), R_OK) != 0)
        GTEST_SKIP() << script << " is missing (is SAFEKEEP_S3RVER_DIR right?)";
    RunOptions o;
    o.capture = true;
    o.capture_limit = 1 << 20;
    o.timeout_seconds = 60;
    RunResult r = run_program({py, script}, o);
    if (r.exit_code == 3)
        GTEST_SKIP() << py << " has no botocore (apt-get install python3-botocore)";
    ASSERT_EQ(r.exit_code, 0) << r.output;
    auto doc = nlohmann::json::parse(r.output);
    const auto &cases = doc.at("cases");
    ASSERT_GE(cases.size(), 10u);
    for (const auto &c : cases) {
        std::string body;
        const std::string hex = c.at("body_hex");
        for (size_t i = 0; i + 1 < hex.size(); i += 2)
            body += static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16));
        SignInput in;
        in.method = c.at("method");
        in.path = c.at("path");
        for (const auto &kv : c.at("query"))
            in.query.emplace_back(kv.at(0), kv.at(1));
        in.date = c.at("date");
        in.payload_hash = sha256_hex(body.data(), body.size());
        EXPECT_EQ(in.payload_hash, c.at("payload_hash").get<std::string>()) << c.at("name");
        in.headers = {{"host", c.at("host")},
                      {"x-amz-content-sha256", in.payload_hash},
                      {"x-amz-date", in.date}};
        if (!c.at("token").get<std::string>().empty())
            in.headers.emplace_back("x-amz-security-token", c.at("token"));
        Signer s(doc.at("access_key"), doc.at("secret_key"), c.at("region"));
        EXPECT_EQ(s.authorization(in), c.at("authorization").get<std::string>())
            << "case " << c.at("name") << "\ncanonical request:\n"
            << canonical_request(in);
    }
}
