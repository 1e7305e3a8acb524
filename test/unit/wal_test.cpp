#include "io/sha256.h"
#include "io/zstd_filter.h"
#include "temp_dir.h"
#include "wal_segment.h"
#include "util/error.h"
#include "wal/archive.h"
#include "format/lsn.h"
#include "format/wal_name.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <thread>
#include <vector>

using namespace safekeep;
using safekeep::test::TempDir;
using safekeep::test::write_text;

namespace {
std::string first_wal_object(const RepoLayout &repo, const std::string &name) {
    std::vector<std::string> all = find_wal_objects(repo, name);
    return all.empty() ? "" : all.front();
}
} // namespace

TEST(WalName, Classification) {
    EXPECT_EQ(classify_wal_name("000000010000000000000002"), WalKind::Segment);
    EXPECT_EQ(classify_wal_name("000000010000000A000000FF"), WalKind::Segment);
    EXPECT_EQ(classify_wal_name("000000010000000000000002.partial"), WalKind::Partial);
    EXPECT_EQ(classify_wal_name("000000010000000000000002.00000028.backup"), WalKind::Backup);
    EXPECT_EQ(classify_wal_name("00000002.history"), WalKind::History);
    EXPECT_EQ(classify_wal_name("00000001000000000000002"), WalKind::Invalid);
    EXPECT_EQ(classify_wal_name("000000010000000000000002x"), WalKind::Invalid);
    EXPECT_EQ(classify_wal_name("00000001000000000000000a"), WalKind::Invalid);
    EXPECT_EQ(classify_wal_name("000000010000000000000002.backup"), WalKind::Invalid);
    EXPECT_EQ(classify_wal_name("0000002.history"), WalKind::Invalid);
    EXPECT_EQ(classify_wal_name("../../etc/passwd"), WalKind::Invalid);
    EXPECT_EQ(classify_wal_name(""), WalKind::Invalid);
}

TEST(WalName, ArchiveObjectPath) {
    EXPECT_EQ(wal_archive_subdir("000000010000000000000002"), "0000000100000000");
    EXPECT_EQ(wal_archive_subdir("000000010000000300000002.partial"), "0000000100000003");
    EXPECT_EQ(wal_archive_subdir("000000010000000000000002.00000028.backup"), "0000000100000000");
    EXPECT_EQ(wal_archive_subdir("00000002.history"), "");
    EXPECT_THROW(wal_archive_subdir("bogus"), Error);
    std::string sha(64, 'c');
    std::string obj = wal_object_name("000000010000000000000002", sha);
    EXPECT_EQ(obj, "000000010000000000000002-" + sha + ".zst");
    std::string name, got;
    ASSERT_TRUE(parse_wal_object_name(obj, name, got));
    EXPECT_EQ(name, "000000010000000000000002");
    EXPECT_EQ(got, sha);
    EXPECT_FALSE(parse_wal_object_name(obj + ".tmp.1.2", name, got));
    EXPECT_FALSE(parse_wal_object_name("000000010000000000000002-abc.zst", name, got));
}

TEST(Lsn, ParseAndSegments) {
    EXPECT_EQ(parse_lsn("0/2000028"), 0x2000028u);
    EXPECT_EQ(parse_lsn("1A/FF000000"), 0x1AFF000000ull);
    EXPECT_THROW(parse_lsn("12345"), Error);
    EXPECT_THROW(parse_lsn("0/2000028x"), Error);
    EXPECT_EQ(stop_wal_segment(1, 0x2000138), "000000010000000000000002");
    // exactly at a boundary: the previous segment holds the last record
    EXPECT_EQ(stop_wal_segment(1, 0x3000000), "000000010000000000000002");
    EXPECT_EQ(stop_wal_segment(2, 0x1AFF000001ull), "000000020000001A000000FF");
    EXPECT_EQ(stop_wal_segment(1, 0x100000000ull), "0000000100000000000000FF");
}

TEST(Lsn, LabelFile) {
    auto info = parse_labelfile("START WAL LOCATION: 0/2000028 (file 000000010000000000000002)\n"
                                "CHECKPOINT LOCATION: 0/2000060\n"
                                "BACKUP METHOD: streamed\n"
                                "START TIMELINE: 3\n");
    EXPECT_EQ(info.start_wal, "000000010000000000000002");
    EXPECT_EQ(info.timeline, 3u);
    EXPECT_THROW(parse_labelfile("garbage"), Error);
}

class ArchiveTest : public ::testing::Test {
  protected:
    TempDir dir;
    Config cfg;
    void SetUp() override {
        posix::make_dir(dir / "repo", 0700);
        cfg.repo_root = dir / "repo";
        cfg.compress_level = 3;
    }
};

TEST_F(ArchiveTest, PushIsIdempotentAndRefusesDifferentContent) {
    const std::string seg = "000000010000000000000005";
    std::string content = safekeep::test::wal_segment_bytes(seg, 7001, "five");
    for (size_t i = 4096; i < content.size(); i += 97)
        content[i] = static_cast<char>(i);
    write_text(dir / "pg_wal/a", content);
    EXPECT_EQ(wal_push(cfg, 7001, 150018, seg, dir / "pg_wal/a"), PushOutcome::Stored);
    EXPECT_EQ(wal_push(cfg, 7001, 150018, seg, dir / "pg_wal/a"), PushOutcome::AlreadyPresent);

    RepoLayout repo = RepoLayout::for_read(cfg);
    EXPECT_EQ(repo.stanza(), "7001");
    std::string object = dir / ("repo/" + first_wal_object(repo, seg));
    ASSERT_FALSE(object.empty());
    EXPECT_EQ(posix::dirname(object), dir / "repo/7001/archive/0000000100000000");
    auto before = posix::read_file(object);

    write_text(dir / "pg_wal/b", content + "x");
    try {
        wal_push(cfg, 7001, 150018, seg, dir / "pg_wal/b");
        FAIL() << "different content must be refused";
    } catch (const Error &e) {
        std::string m = e.what();
        EXPECT_NE(m.find("already archived with different content"), std::string::npos) << m;
        EXPECT_NE(m.find(seg), std::string::npos);
    }
    EXPECT_EQ(posix::list_dir(posix::dirname(object)).size(), 1u);
    EXPECT_EQ(posix::read_file(object), before);

    wal_get(cfg, seg, dir / "restored");
    EXPECT_EQ(posix::read_file(dir / "restored"), content);
}

TEST_F(ArchiveTest, HistoryFilesAtArchiveRootAndNotFound) {
    write_text(dir / "h", "1\t0/3000000\tno recovery target specified\n");
    wal_push(cfg, 7001, 150018, "00000002.history", dir / "h");
    RepoLayout repo = RepoLayout::for_read(cfg);
    EXPECT_EQ(posix::dirname(first_wal_object(repo, "00000002.history")), "7001/archive");
    EXPECT_THROW(wal_get(cfg, "00000003.history", dir / "x"), NotFound);
    EXPECT_FALSE(posix::exists(dir / "x"));
    EXPECT_THROW(wal_push(cfg, 7001, 150018, "not-a-wal", dir / "h"), Error);
}

TEST_F(ArchiveTest, SystemIdMismatchIsRefused) {
    write_text(dir / "s", "data");
    cfg.stanza = "main";
    wal_push(cfg, 1, 150018, "000000010000000000000001", dir / "s");
    EXPECT_THROW(wal_push(cfg, 2, 150018, "000000010000000000000002", dir / "s"), Error);
}

TEST_F(ArchiveTest, CorruptObjectIsReportedByName) {
    write_text(dir / "s", std::string(100000, 'w'));
    const std::string seg = "000000010000000000000009";
    wal_push(cfg, 7001, 150018, seg, dir / "s");
    std::string object = dir / ("repo/" + first_wal_object(RepoLayout::for_read(cfg), seg));
    std::string packed = posix::read_file(object);
    packed[packed.size() / 2] ^= 0x5a;
    posix::write_file_atomic(object, packed.data(), packed.size(), false);
    try {
        wal_get(cfg, seg, dir / "out");
        FAIL();
    } catch (const Error &e) {
        EXPECT_NE(std::string(e.what()).find(object), std::string::npos) << e.what();
    }
    EXPECT_FALSE(posix::exists(dir / "out"));
}

TEST_F(ArchiveTest, MissingRepositoryIsNamed) {
    cfg.repo_root = dir / "nope";
    write_text(dir / "s", "x");
    try {
        wal_push(cfg, 1, 150018, "000000010000000000000001", dir / "s");
        FAIL();
    } catch (const Error &e) {
        EXPECT_EQ(std::string(e.what()),
                  "WAL file 000000010000000000000001 is not archived in every repository: repo1: "
                  "repository path \"" +
                      dir / "nope" + "\" does not exist");
    }
}

TEST_F(ArchiveTest, EmptyFileRoundTrip) {
    write_text(dir / "empty", "");
    const std::string name = "000000010000000000000007.partial";
    EXPECT_EQ(wal_push(cfg, 7001, 150018, name, dir / "empty"), PushOutcome::Stored);
    EXPECT_EQ(wal_push(cfg, 7001, 150018, name, dir / "empty"), PushOutcome::AlreadyPresent);
    write_text(dir / "got", "old content");
    wal_get(cfg, name, dir / "got");
    EXPECT_EQ(posix::read_file(dir / "got"), "");
}

// A second copy beside the real one (sorting first): archive-get serves the
// copy whose content is the sha256 its name records, and refuses to choose
// between two that both check out.
TEST_F(ArchiveTest, DuplicateCopiesServeOnlyTheOneThatChecksOut) {
    const std::string seg = "00000001000000000000000A";
    const std::string real_bytes = safekeep::test::wal_segment_bytes(seg, 7001, "real");
    write_text(dir / "s", real_bytes);
    wal_push(cfg, 7001, 150018, seg, dir / "s");
    std::string real = dir / ("repo/" + first_wal_object(RepoLayout::for_read(cfg), seg));
    std::string fake = posix::dirname(real) + "/" + wal_object_name(seg, std::string(64, '0'));
    std::string packed = posix::read_file(real);
    posix::write_file_atomic(fake, packed.data(), packed.size(), false);
    ASSERT_EQ(find_wal_objects(RepoLayout::for_read(cfg), seg).size(), 2u);
    wal_get(cfg, seg, dir / "got");
    EXPECT_EQ(posix::read_file(dir / "got"), real_bytes);
    // Pushing the real segment again is still "already present".
    EXPECT_EQ(wal_push(cfg, 7001, 150018, seg, dir / "s"), PushOutcome::AlreadyPresent);

    // A copy with other content whose name matches it: ambiguous.
    std::string other = safekeep::test::wal_segment_bytes(seg, 7001, "other");
    std::vector<uint8_t> raw(other.begin(), other.end());
    ByteBuffer z = zstd_compress_oneshot(raw.data(), raw.size(), 3);
    std::string second =
        posix::dirname(real) + "/" + wal_object_name(seg, sha256_hex(raw.data(), raw.size()));
    posix::write_file_atomic(second, z.data.get(), z.size, false);
    try {
        wal_get(cfg, seg, dir / "got2");
        FAIL() << "two valid copies must be refused";
    } catch (const Error &e) {
        EXPECT_NE(std::string(e.what()).find("archived twice with different content"),
                  std::string::npos)
            << e.what();
    }
    EXPECT_FALSE(posix::exists(dir / "got2"));
}

// A copy whose sha256 matches its name but which is another segment (a file
// archived under the wrong name): recovery would stop there as if the
// archive ended, so archive-get refuses it, naming why.
TEST_F(ArchiveTest, MisnamedSegmentIsRefused) {
    const std::string seg = "00000001000000000000000B";
    write_text(dir / "s", safekeep::test::wal_segment_bytes(seg, 7001, "b", 0x0A));
    wal_push(cfg, 7001, 150018, seg, dir / "s");
    try {
        wal_get(cfg, seg, dir / "got");
        FAIL() << "a misnamed segment must be refused";
    } catch (const Error &e) {
        EXPECT_NE(std::string(e.what()).find("not at the start of the segment its name says"),
                  std::string::npos)
            << e.what();
    }
    EXPECT_FALSE(posix::exists(dir / "got"));
    // Another cluster's segment.
    const std::string seg2 = "00000001000000000000000C";
    write_text(dir / "s2", safekeep::test::wal_segment_bytes(seg2, 9999, "c"));
    wal_push(cfg, 7001, 150018, seg2, dir / "s2");
    EXPECT_THROW(wal_get(cfg, seg2, dir / "got"), Error);
}

// The archiver's push-ahead threads archive several segments at once into a
// repository that has no repo.json yet: exactly one repo.json is created and
// every segment decrypts with it, in a process that did not write them.
TEST_F(ArchiveTest, ConcurrentFirstPushesIntoAnEncryptedRepositoryShareOneKey) {
    write_text(dir / "pass", "concurrent first pushes\n");
    ASSERT_EQ(::chmod((dir / "pass").c_str(), 0600), 0);
    RepoSpec spec;
    spec.number = 1;
    spec.type = "posix";
    spec.path = dir / "repo";
    spec.cipher = "aes-256-gcm";
    spec.passphrase_file = dir / "pass";
    cfg.repo_root.clear();
    cfg.repos = {spec};
    constexpr int kSegments = 6;
    std::vector<std::string> names, contents;
    for (int i = 0; i < kSegments; i++) {
        names.push_back("00000001000000000000000" + std::to_string(i + 1));
        contents.push_back(safekeep::test::wal_segment_bytes(names.back(), 7001, names.back()));
        write_text(dir / ("pg_wal/" + names.back()), contents.back());
    }
    std::vector<std::thread> threads;
    std::vector<std::string> errors(kSegments);
    for (int i = 0; i < kSegments; i++)
        threads.emplace_back([&, i] {
            // "try again" (another writer won the creation) is what the
            // archiver's retry sees; it then reads the winner's repo.json.
            for (int attempt = 0; attempt < 3; attempt++) {
                try {
                    wal_push(cfg, 7001, 150018, names[i], dir / ("pg_wal/" + names[i]));
                    errors[i].clear();
                    return;
                } catch (const std::exception &e) {
                    errors[i] = e.what();
                }
            }
        });
    for (auto &t : threads)
        t.join();
    for (int i = 0; i < kSegments; i++)
        EXPECT_EQ(errors[i], "") << names[i];
    // A fresh reader, as another process is: a different path spelling is
    // another identity for the cache of opened repositories (repo/layout).
    Config reader = cfg;
    reader.repos[0].passphrase_file = dir / "pass";
    reader.repos[0].path = dir / "repo/.";
    for (int i = 0; i < kSegments; i++) {
        wal_get(reader, names[i], dir / ("restored_" + names[i]));
        EXPECT_EQ(posix::read_file(dir / ("restored_" + names[i])), contents[i]) << names[i];
    }
}
