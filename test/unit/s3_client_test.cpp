// The S3 client against a real S3-compatible server: s3rver (npm) on
// loopback, over HTTP and over TLS. Skipped when s3rver is not installed.
// s3rver accepts any well-formed SigV4 signature of a known key (S3RVER):
// signing itself is checked in s3_sigv4_test.cpp.
#include "repo/layout.h"
#include "restore/recovery_report.h"
#include "s3rver.h"
#include "storage/s3/client.h"
#include "storage/s3_storage.h"
#include "temp_dir.h"
#include "util/error.h"
#include "format/wal_name.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>
#include <functional>
#include <memory>
#include <random>
#include <thread>

using namespace safekeep;
using namespace safekeep::s3;
using safekeep::test::S3rver;
using safekeep::test::TempDir;

namespace {

const char *kBucket = "safekeep-test";
constexpr size_t kPart = 5 << 20;

std::vector<uint8_t> random_bytes(size_t n, unsigned seed) {
    std::mt19937_64 rng(seed);
    std::vector<uint8_t> v(n);
    for (size_t i = 0; i + 8 <= n; i += 8) {
        uint64_t x = rng();
        std::memcpy(&v[i], &x, 8);
    }
    for (size_t i = n - n % 8; i < n; i++)
        v[i] = static_cast<uint8_t>(rng());
    return v;
}

std::string error_of(const std::function<void()> &f) {
    try {
        f();
    } catch (const std::exception &e) {
        return e.what();
    }
    return "(no error)";
}

Settings settings_for(const S3rver &srv, const std::string &prefix) {
    Settings s = test::quick_settings(srv.url(), kBucket, prefix, kPart, {"S3RVER", "S3RVER", ""});
    s.upload_threads = 3;
    return s;
}

// Files named "key" that s3rver keeps for each multipart upload in progress.
std::vector<std::string> pending_uploads(const std::string &dir, const std::string &key) {
    std::vector<std::string> found;
    for (const auto &e : posix::list_dir_if_exists(dir)) {
        std::string p = posix::join(dir, e.name);
        if (posix::is_dir(p)) {
            for (auto &f : pending_uploads(p, key))
                found.push_back(f);
        } else if (e.name == "key" && posix::read_file(p) == key) {
            found.push_back(dir);
        }
    }
    return found;
}

// LastModified as read back from s3rver: after 2020 and not in the future
// (a day of slack for the clocks; no timing is asserted).
void expect_sane_mtime(double t) {
    const double y2020 = 1577836800;
    const double now =
        std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
    EXPECT_GT(t, y2020);
    EXPECT_LT(t, now + 86400);
}

std::vector<std::string> keys_of(const std::vector<ObjectInfo> &objects) {
    std::vector<std::string> keys;
    for (const auto &o : objects)
        keys.push_back(o.key);
    return keys;
}

class S3Client : public ::testing::Test {
  protected:
    static void SetUpTestSuite() {
        if (!S3rver::unavailable().empty())
            return;
        dir_ = new TempDir();
        srv_ = new S3rver(*dir_ / "data");
        Client(settings_for(*srv_, "")).create_bucket();
    }
    static void TearDownTestSuite() {
        delete srv_;
        delete dir_;
        srv_ = nullptr;
        dir_ = nullptr;
    }
    void SetUp() override {
        std::string why = S3rver::unavailable();
        if (!why.empty())
            GTEST_SKIP() << why;
    }
    Client client(const std::string &prefix) { return Client(settings_for(*srv_, prefix)); }

    static TempDir *dir_;
    static S3rver *srv_;
};
TempDir *S3Client::dir_ = nullptr;
S3rver *S3Client::srv_ = nullptr;

} // namespace

TEST_F(S3Client, RoundTripHeadAndNotFound) {
    Client c = client("repo/rt");
    c.create_bucket(); // again: already there is fine
    const std::string key = "dir/a b+c~d=é&.txt";
    std::string text = "hello, <S3> & friends";
    c.put(key, reinterpret_cast<const uint8_t *>(text.data()), text.size());
    auto got = c.get(key);
    EXPECT_EQ(std::string(got.begin(), got.end()), text);
    EXPECT_EQ(c.head(key), text.size());
    EXPECT_EQ(c.head("dir/absent"), std::nullopt);

    c.put("empty", nullptr, 0);
    EXPECT_EQ(c.head("empty"), 0u);
    EXPECT_TRUE(c.get("empty").empty());

    // Overwrite, and stream into a sink.
    text = "second version";
    c.put(key, reinterpret_cast<const uint8_t *>(text.data()), text.size());
    std::vector<uint8_t> out;
    VectorSink sink(out);
    c.get_to(key, sink);
    EXPECT_EQ(std::string(out.begin(), out.end()), text);

    std::string msg;
    try {
        c.get("missing/object");
        FAIL() << "no error";
    } catch (const NotFound &e) {
        msg = e.what();
    }
    EXPECT_EQ(
        msg.rfind("S3 GET s3://safekeep-test/repo/rt/missing/object failed: 404 NoSuchKey", 0), 0u)
        << msg;
    auto all = c.list("");
    ASSERT_EQ(all.size(), 2u);
    EXPECT_EQ(all[0].key, "dir/a b+c~d=é&.txt");
    EXPECT_EQ(all[0].size, text.size());
    EXPECT_EQ(all[1].key, "empty");
}

TEST_F(S3Client, ClientErrorsAreNotRetriedAndNameTheProblem) {
    Settings s = settings_for(*srv_, "repo/err");
    s.credentials = {"NOBODY", "secret", ""};
    s.max_attempts = 5;
    s.retry_base_ms = 2000; // a retry would show in the time taken
    Client c(s);
    auto t0 = std::chrono::steady_clock::now();
    std::string msg = error_of([&] { c.put("k", reinterpret_cast<const uint8_t *>("x"), 1); });
    EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(1));
    EXPECT_EQ(msg.rfind("S3 PUT s3://safekeep-test/repo/err/k failed: 403 InvalidAccessKeyId: ", 0),
              0u)
        << msg;
    EXPECT_EQ(msg.find("secret"), std::string::npos);

    Settings nb = settings_for(*srv_, "");
    nb.bucket = "no-such-bucket";
    msg = error_of([&] { Client(nb).get("k"); });
    EXPECT_EQ(msg.rfind("S3 GET s3://no-such-bucket/k failed: 404 NoSuchBucket", 0), 0u) << msg;
}

TEST_F(S3Client, ListPagesAndBatchedRemove) {
    Client c = client("repo/many");
    const int n = 1100;
    std::vector<std::string> keys;
    for (int i = 0; i < n; i++)
        keys.push_back("obj/" + std::to_string(100000 + i) + (i % 7 == 0 ? " +x" : ""));
    // Four writers at once: the client is shared between threads.
    std::vector<std::thread> ts;
    std::atomic<int> failures{0};
    for (int t = 0; t < 4; t++)
        ts.emplace_back([&, t] {
            try {
                for (int i = t; i < n; i += 4)
                    c.put(keys[i], reinterpret_cast<const uint8_t *>(keys[i].data()), i % 13);
            } catch (const std::exception &e) {
                ADD_FAILURE() << e.what();
                failures++;
            }
        });
    for (auto &t : ts)
        t.join();
    ASSERT_EQ(failures.load(), 0);
    std::string outside = "outside";
    client("repo/other").put("obj/1", reinterpret_cast<const uint8_t *>(outside.data()), 7);

    std::vector<std::string> sorted = keys;
    std::sort(sorted.begin(), sorted.end());
    auto check = [&](const std::vector<ObjectInfo> &got) {
        ASSERT_EQ(got.size(), static_cast<size_t>(n));
        for (int i = 0; i < n; i++) {
            EXPECT_EQ(got[i].key, sorted[i]);
            size_t idx = std::find(keys.begin(), keys.end(), sorted[i]) - keys.begin();
            EXPECT_EQ(got[i].size, idx % 13);
        }
    };
    check(c.list("obj/")); // two pages of up to 1000
    Settings small = settings_for(*srv_, "repo/many");
    small.list_page_size = 97; // twelve pages
    check(Client(small).list(""));
    // One level: the same objects over the same pages, and one name above them.
    check(c.list_level("obj/").objects);
    check(Client(small).list_level("obj/").objects);
    Level top = Client(small).list_level("");
    EXPECT_TRUE(top.objects.empty());
    EXPECT_EQ(top.prefixes, std::vector<std::string>{"obj/"});
    EXPECT_EQ(c.list("obj/10109").size(), 10u);
    EXPECT_TRUE(c.list("nothing/").empty());

    // Batches of 1000, absent keys included.
    std::vector<std::string> doomed = keys;
    doomed.push_back("obj/never-existed");
    doomed.erase(doomed.begin() + 5);
    c.remove(doomed);
    auto left = c.list("");
    ASSERT_EQ(left.size(), 1u);
    EXPECT_EQ(left[0].key, keys[5]);
    c.remove({});
    EXPECT_EQ(client("repo/other").list("").size(), 1u);
}

TEST_F(S3Client, LevelListingOverManyPages) {
    Settings small = settings_for(*srv_, "repo/level");
    small.list_page_size = 7; // names and deeper objects interleave across pages
    Client c(small);
    std::vector<std::string> files, dirs;
    auto put = [&](const std::string &key) {
        c.put(key, reinterpret_cast<const uint8_t *>(key.data()), key.size());
    };
    for (int i = 0; i < 40; i++) {
        const std::string n = "top/" + std::to_string(100 + i);
        if (i % 3 == 0) {
            dirs.push_back(n + "/");
            for (const char *below : {"/a", "/b/c", "/b/d"})
                put(n + below);
        } else {
            files.push_back(n);
            put(n);
        }
    }
    put("top");      // the name without its '/': not under "top/"
    put("topper/x"); // shares the text, not the level

    Level l = c.list_level("top/");
    EXPECT_EQ(keys_of(l.objects), files);
    for (const auto &o : l.objects) {
        EXPECT_EQ(o.size, o.key.size());
        expect_sane_mtime(o.mtime);
    }
    EXPECT_EQ(l.prefixes, dirs);
    Level root = c.list_level("");
    EXPECT_EQ(keys_of(root.objects), std::vector<std::string>{"top"});
    EXPECT_EQ(root.prefixes, (std::vector<std::string>{"top/", "topper/"}));
    Level none = c.list_level("nothing/");
    EXPECT_TRUE(none.objects.empty() && none.prefixes.empty());
    for (const auto &o : c.list("top/"))
        expect_sane_mtime(o.mtime);

    EXPECT_TRUE(c.any("top/"));
    EXPECT_TRUE(c.any("top/100/b/"));
    EXPECT_TRUE(c.any("top/101"));
    EXPECT_FALSE(c.any("top/101/"));
    EXPECT_FALSE(c.any("nothing/"));
}

TEST_F(S3Client, StorageChildrenTimesAndClaim) {
    S3Storage st(settings_for(*srv_, "repo/storage"));
    auto put = [&](const std::string &key) { st.write(key, key.data(), key.size()); };
    put("stanza/repo.json");
    put("stanza/archive/0000000100000000/000000010000000000000001-ab.zst");
    put("stanza/backup/L1/data/base/1/1259");
    put("stanza/backup/L1/manifest.json");
    put("other/x");

    EXPECT_EQ(st.children(""), (std::vector<std::string>{"other", "stanza"}));
    EXPECT_EQ(st.children("stanza"), (std::vector<std::string>{"archive", "backup", "repo.json"}));
    EXPECT_EQ(st.children("stanza/backup"), std::vector<std::string>{"L1"});
    EXPECT_TRUE(st.children("stanza/missing").empty());

    auto all = st.list("stanza/backup");
    ASSERT_EQ(all.size(), 2u);
    EXPECT_EQ(all[0].key, "L1/data/base/1/1259");
    EXPECT_EQ(all[1].key, "L1/manifest.json");
    EXPECT_EQ(all[1].size, std::string("stanza/backup/L1/manifest.json").size());
    for (const auto &o : all)
        expect_sane_mtime(o.mtime);

    EXPECT_FALSE(st.claim("stanza/backup/L1"));
    EXPECT_TRUE(st.claim("stanza/backup/L")); // a shorter name is another name
    EXPECT_TRUE(st.claim("stanza/backup/L2"));
    st.remove_tree("stanza/backup/L1");
    EXPECT_TRUE(st.claim("stanza/backup/L1"));
    EXPECT_TRUE(st.children("stanza/backup").empty());
}

// The RPO report's "archived at" comes from the newest segment's LastModified.
TEST_F(S3Client, NewestWalHasAnArchiveTime) {
    auto st = std::make_shared<S3Storage>(settings_for(*srv_, "repo/rpo"));
    RepoLayout repo(st, "db");
    for (const std::string name : {"000000010000000000000004", "000000010000000000000005"})
        st->write(key_join(repo.archive_key(), wal_archive_subdir(name) + "/" +
                                                   wal_object_name(name, std::string(64, 'a'))),
                  "x", 1);
    NewestWal w = newest_archived_wal(repo, 0);
    EXPECT_EQ(w.name, "000000010000000000000005");
    ASSERT_TRUE(w.archived_time);
    expect_sane_mtime(*w.archived_time);
}

TEST_F(S3Client, MultipartPut) {
    Client c = client("repo/mp");
    auto data = random_bytes(12 * (1 << 20) + 12345, 1);
    c.put("big.bin", data.data(), data.size());
    EXPECT_EQ(c.head("big.bin"), data.size());
    EXPECT_TRUE(c.get("big.bin") == data);
    // No upload left behind.
    EXPECT_TRUE(pending_uploads(dir_->path(), "repo/mp/big.bin").empty());
}

TEST_F(S3Client, StreamingUpload) {
    Client c = client("repo/stream");
    auto data = random_bytes(12 * (1 << 20) + 777, 2);
    {
        auto up = c.open_upload("stream.bin");
        size_t chunk = 100 * 1024 + 7;
        for (size_t off = 0; off < data.size(); off += chunk)
            up->write(data.data() + off, std::min(chunk, data.size() - off));
        up->finish();
    }
    EXPECT_TRUE(c.get("stream.bin") == data);

    // Exactly one part's worth: a single PUT; and a small one.
    auto one = random_bytes(kPart, 3);
    {
        auto up = c.open_upload("one.bin");
        up->write(one.data(), one.size());
        up->finish();
    }
    EXPECT_TRUE(c.get("one.bin") == one);
    {
        auto up = c.open_upload("small.bin");
        up->write(one.data(), 10);
        up->finish();
    }
    EXPECT_EQ(c.head("small.bin"), 10u);
    // Exactly two parts.
    auto two = random_bytes(2 * kPart, 4);
    {
        auto up = c.open_upload("two.bin");
        up->write(two.data(), two.size());
        up->finish();
    }
    EXPECT_TRUE(c.get("two.bin") == two);
}

TEST_F(S3Client, UnfinishedUploadLeavesNoObject) {
    Client c = client("repo/abort");
    auto data = random_bytes(11 << 20, 5);
    {
        auto up = c.open_upload("partial.bin");
        up->write(data.data(), data.size()); // two parts sent, the third buffered
        // destroyed without finish()
    }
    EXPECT_EQ(c.head("partial.bin"), std::nullopt);
    EXPECT_TRUE(c.list("").empty());
    // s3rver has no AbortMultipartUpload (it answers 405 MethodNotAllowed),
    // so the upload stays on its disk: it proves the upload went multipart.
    EXPECT_EQ(pending_uploads(dir_->path(), "repo/abort/partial.bin").size(), 1u);
}

TEST_F(S3Client, StoppedServerFailsAfterRetries) {
    TempDir d;
    auto srv = std::make_unique<S3rver>(d / "data");
    Settings s = settings_for(*srv, "repo");
    Client c(s);
    c.create_bucket();
    c.put("k", reinterpret_cast<const uint8_t *>("v"), 1);
    EXPECT_EQ(c.get("k").size(), 1u);
    srv->stop();
    auto t0 = std::chrono::steady_clock::now();
    std::string msg = error_of([&] { c.get("k"); });
    EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(5));
    EXPECT_EQ(msg.rfind("S3 GET s3://safekeep-test/repo/k failed after 3 attempts: ", 0), 0u)
        << msg;
    EXPECT_NE(msg.find("onnect"), std::string::npos)
        << msg; // "Couldn't connect" / "Connection refused"
    msg = error_of([&] {
        auto up = c.open_upload("u");
        auto data = random_bytes(kPart + 1, 6);
        up->write(data.data(), data.size());
        up->finish();
    });
    EXPECT_NE(msg.find("failed after 3 attempts"), std::string::npos) << msg;
}

TEST_F(S3Client, VirtualHostStyle) {
    Settings s = settings_for(*srv_, "repo/vhost");
    s.endpoint = "http://s3.localhost:" + srv_->port(); // curl resolves *.localhost itself
    s.path_style = false;
    Client c(s);
    std::string text = "via safekeep-test.s3.localhost";
    c.put("v/k", reinterpret_cast<const uint8_t *>(text.data()), text.size());
    EXPECT_EQ(client("repo/vhost").head("v/k"), text.size()); // the same bucket, path style
    auto got = c.get("v/k");
    EXPECT_EQ(std::string(got.begin(), got.end()), text);
    EXPECT_EQ(c.list("v/").size(), 1u);
}

TEST(S3ClientTls, VerifiedWithCaFileRefusedWithout) {
    std::string why = S3rver::unavailable();
    if (!why.empty())
        GTEST_SKIP() << why;
    TempDir d;
    S3rver srv(d / "data", d / "tls");
    ASSERT_EQ(srv.url().rfind("https://127.0.0.1:", 0), 0u);
    Settings s = settings_for(srv, "tls");
    s.ca_file = d / "tls/cert.pem";
    Client c(s);
    c.create_bucket();
    auto data = random_bytes(kPart + 100, 7); // multipart over TLS too
    c.put("big", data.data(), data.size());
    EXPECT_TRUE(c.get("big") == data);
    EXPECT_EQ(c.list("").size(), 1u);

    Settings no_ca = s;
    no_ca.ca_file.clear();
    no_ca.max_attempts = 5;
    no_ca.retry_base_ms = 2000; // not retried: would take seconds
    auto t0 = std::chrono::steady_clock::now();
    std::string msg = error_of([&] { Client(no_ca).get("big"); });
    EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(1));
    EXPECT_EQ(
        msg.rfind("S3 GET s3://safekeep-test/tls/big failed: TLS certificate verification failed: ",
                  0),
        0u)
        << msg;
    EXPECT_NE(msg.find("self-signed"), std::string::npos) << msg;

    Settings insecure = no_ca;
    insecure.verify_tls = false;
    EXPECT_TRUE(Client(insecure).get("big") == data);
}
