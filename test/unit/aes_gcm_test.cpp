#include "io/aes_gcm.h"
#include "io/zstd_filter.h"
#include "util/error.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <random>

using namespace safekeep;

namespace {

const char *kName = "backup/20260101-010101F/data/base/1/1259.zst.enc";
const size_t C = kGcmChunkSize;

std::vector<uint8_t> from_hex(const std::string &hex) {
    std::vector<uint8_t> out;
    for (size_t i = 0; i + 1 < hex.size(); i += 2)
        out.push_back(uint8_t(std::stoul(hex.substr(i, 2), nullptr, 16)));
    return out;
}

std::vector<uint8_t> random_bytes_seeded(size_t n, unsigned seed) {
    std::vector<uint8_t> v(n);
    std::mt19937 rng(seed);
    for (auto &b : v)
        b = uint8_t(rng());
    return v;
}

Key256 test_key(uint8_t base) {
    Key256 k;
    for (size_t i = 0; i < k.size(); i++)
        k[i] = uint8_t(base + i);
    return k;
}

// Feeds a sink in uneven pieces, so chunk edges fall everywhere.
void feed(Sink &s, const std::vector<uint8_t> &in) {
    static const size_t pieces[] = {1, 7, 4093, 65539, C - 3, 2 * C + 11, 100000};
    size_t pos = 0, i = 0;
    while (pos < in.size()) {
        size_t n = std::min(pieces[i++ % 7], in.size() - pos);
        s.write(in.data() + pos, n);
        pos += n;
    }
    s.finish();
}

std::vector<uint8_t> encrypt(const Key256 &key, const std::vector<uint8_t> &in, size_t chunk = C) {
    std::vector<uint8_t> out;
    VectorSink sink(out);
    AesGcmEncryptor enc(key, sink, chunk);
    feed(enc, in);
    return out;
}

std::vector<uint8_t> decrypt(const Key256 &key, const std::vector<uint8_t> &in) {
    std::vector<uint8_t> out;
    VectorSink sink(out);
    AesGcmDecryptor dec(key, sink, kName);
    feed(dec, in);
    return out;
}

// Decrypting must throw CorruptData naming the object.
void expect_rejected(const Key256 &key, const std::vector<uint8_t> &blob, const char *why) {
    SCOPED_TRACE(why);
    try {
        decrypt(key, blob);
        ADD_FAILURE() << "decryption succeeded";
    } catch (const CorruptData &e) {
        std::string msg = e.what();
        EXPECT_NE(msg.find("authentication failed"), std::string::npos) << msg;
        EXPECT_NE(msg.find(kName), std::string::npos) << msg;
    }
}

// Records what reaches the end of the chain.
struct CountingSink : Sink {
    std::vector<uint8_t> data;
    int finishes = 0;
    void write(const uint8_t *d, size_t n) override { data.insert(data.end(), d, d + n); }
    void finish() override { finishes++; }
};

} // namespace

// Test case 16 of the GCM specification (McGrew and Viega): AES-256, 96-bit IV, AAD.
TEST(AesGcm, KnownAnswerGcmSpecCase16) {
    auto k = from_hex("feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308");
    auto iv = from_hex("cafebabefacedbaddecaf888");
    auto p = from_hex("d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72"
                      "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39");
    auto a = from_hex("feedfacedeadbeeffeedfacedeadbeefabaddad2");
    auto want_c = from_hex("522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa"
                           "8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662");
    auto want_t = from_hex("76fc6ece0f4e1768cddf8853bb2d551b");
    Key256 key;
    std::copy(k.begin(), k.end(), key.begin());

    std::vector<uint8_t> c(p.size()), t(16), back(p.size());
    gcm_seal(key, iv.data(), a.data(), a.size(), p.data(), p.size(), c.data(), t.data());
    EXPECT_EQ(c, want_c);
    EXPECT_EQ(t, want_t);
    ASSERT_TRUE(
        gcm_open(key, iv.data(), a.data(), a.size(), c.data(), c.size(), back.data(), t.data()));
    EXPECT_EQ(back, p);
    t[0] ^= 1;
    EXPECT_FALSE(
        gcm_open(key, iv.data(), a.data(), a.size(), c.data(), c.size(), back.data(), t.data()));
}

// Test case 13: all-zero key and IV, nothing to encrypt; the tag alone.
TEST(AesGcm, KnownAnswerGcmSpecCase13) {
    Key256 key{};
    uint8_t iv[12] = {}, tag[16];
    gcm_seal(key, iv, nullptr, 0, nullptr, 0, nullptr, tag);
    EXPECT_EQ(std::vector<uint8_t>(tag, tag + 16), from_hex("530f8afbc74536b9a963b4f1c4cb738b"));
}

TEST(AesGcm, RoundTripSizes) {
    const Key256 key = test_key(1);
    for (size_t n : {size_t(0), size_t(1), C - 1, C, C + 1, size_t(5) << 20}) {
        SCOPED_TRACE(n);
        auto in = random_bytes_seeded(n, unsigned(n));
        auto blob = encrypt(key, in);
        size_t chunks = std::max<size_t>(1, (n + C - 1) / C);
        EXPECT_EQ(blob.size(), kGcmHeaderSize + n + chunks * kGcmTagSize);
        EXPECT_TRUE(looks_encrypted(blob.data(), blob.size()));
        EXPECT_EQ(decrypt(key, blob), in);
        EXPECT_EQ(aes_gcm_decrypt(key, blob.data(), blob.size(), kName), in);
        auto one = aes_gcm_encrypt(key, in.data(), in.size());
        EXPECT_EQ(one.size(), blob.size());
        EXPECT_EQ(decrypt(key, one), in);
    }
}

TEST(AesGcm, SmallChunksAndFreshSaltPerStream) {
    const Key256 key = test_key(2);
    auto in = random_bytes_seeded(10000, 3);
    auto a = encrypt(key, in, 64), b = encrypt(key, in, 64);
    EXPECT_NE(a, b); // random salt and nonce prefix
    EXPECT_EQ(decrypt(key, a), in);
    EXPECT_EQ(decrypt(key, b), in);
}

TEST(AesGcm, FinishReachesNextOnceAndZstdIsNotMistaken) {
    CountingSink sink;
    AesGcmEncryptor enc(test_key(3), sink);
    enc.finish();
    EXPECT_EQ(sink.finishes, 1);
    EXPECT_EQ(sink.data.size(), kGcmHeaderSize + kGcmTagSize); // one empty final chunk
    EXPECT_THROW(enc.write(sink.data.data(), 1), Error);
    auto z = zstd_compress("abc", 3, 3);
    EXPECT_FALSE(looks_encrypted(z.data(), z.size()));
    EXPECT_FALSE(looks_encrypted(sink.data.data(), 7));
}

TEST(AesGcm, FlippedBytesFail) {
    const Key256 key = test_key(4);
    auto in = random_bytes_seeded(2 * C + 500, 4);
    auto blob = encrypt(key, in);
    const size_t whole = C + kGcmTagSize;
    struct {
        size_t at;
        const char *what;
    } cases[] = {{0, "magic"},
                 {10, "chunk size"},
                 {13, "salt"},
                 {30, "nonce prefix"},
                 {kGcmHeaderSize + 5, "first chunk ciphertext"},
                 {kGcmHeaderSize + C + 3, "first chunk tag"},
                 {kGcmHeaderSize + whole + 77, "second chunk ciphertext"},
                 {blob.size() - 20, "final chunk ciphertext"},
                 {blob.size() - 1, "final chunk tag"}};
    for (const auto &c : cases) {
        auto bad = blob;
        bad[c.at] ^= 0x40;
        expect_rejected(key, bad, c.what);
    }
}

TEST(AesGcm, TruncationFails) {
    const Key256 key = test_key(5);
    auto in = random_bytes_seeded(3 * C, 5); // three full chunks, the last one final
    auto blob = encrypt(key, in);
    const size_t whole = C + kGcmTagSize;
    for (size_t keep : {size_t(0), size_t(5), kGcmHeaderSize, kGcmHeaderSize + 10,
                        kGcmHeaderSize + whole, kGcmHeaderSize + 2 * whole, blob.size() - 1}) {
        std::vector<uint8_t> cut(blob.begin(), blob.begin() + keep);
        expect_rejected(key, cut, ("kept " + std::to_string(keep)).c_str());
    }
}

TEST(AesGcm, ReorderedChunksFail) {
    const Key256 key = test_key(6);
    auto in = random_bytes_seeded(3 * C + 9, 6);
    auto blob = encrypt(key, in);
    const size_t whole = C + kGcmTagSize;
    auto swapped = blob;
    std::swap_ranges(swapped.begin() + kGcmHeaderSize, swapped.begin() + kGcmHeaderSize + whole,
                     swapped.begin() + kGcmHeaderSize + whole);
    expect_rejected(key, swapped, "chunks 0 and 1 swapped");
    // Dropping a middle chunk shifts the counter.
    auto dropped = blob;
    dropped.erase(dropped.begin() + kGcmHeaderSize + whole,
                  dropped.begin() + kGcmHeaderSize + 2 * whole);
    expect_rejected(key, dropped, "chunk 1 dropped");
}

TEST(AesGcm, TrailingGarbageFails) {
    const Key256 key = test_key(7);
    for (size_t n : {size_t(0), size_t(100), C}) {
        auto blob = encrypt(key, random_bytes_seeded(n, 7));
        auto one = blob;
        one.push_back(0);
        expect_rejected(key, one, "one extra byte");
        auto tag = blob;
        tag.insert(tag.end(), blob.end() - 16, blob.end());
        expect_rejected(key, tag, "extra tag-sized tail");
        auto twice = blob;
        twice.insert(twice.end(), blob.begin() + kGcmHeaderSize, blob.end());
        expect_rejected(key, twice, "chunks repeated");
    }
}

TEST(AesGcm, WrongKeyFails) {
    auto blob = encrypt(test_key(8), random_bytes_seeded(1000, 8));
    expect_rejected(test_key(9), blob, "wrong key");
    std::vector<uint8_t> plain = {'(', 'b', 0xb5, 0x2f, 0xfd};
    expect_rejected(test_key(8), plain, "not encrypted");
}

// Only authenticated plaintext goes downstream: a tampered chunk adds nothing.
TEST(AesGcm, NoUnauthenticatedPlaintextDownstream) {
    const Key256 key = test_key(10);
    auto in = random_bytes_seeded(2 * C + 100, 10);
    auto blob = encrypt(key, in);
    blob[kGcmHeaderSize + C + kGcmTagSize + 1] ^= 1; // second chunk
    CountingSink sink;
    AesGcmDecryptor dec(key, sink, kName);
    EXPECT_THROW(
        {
            dec.write(blob.data(), blob.size());
            dec.finish();
        },
        CorruptData);
    EXPECT_EQ(sink.data, std::vector<uint8_t>(in.begin(), in.begin() + C));
    EXPECT_EQ(sink.finishes, 0);
}

// Single-thread throughput, in zstd-sized (128 KiB) and large writes; run with
// --gtest_also_run_disabled_tests.
TEST(AesGcm, DISABLED_Throughput256MiB) {
    struct NullSink : Sink {
        size_t n = 0;
        void write(const uint8_t *, size_t len) override { n += len; }
    };
    const Key256 key = test_key(11);
    auto block = random_bytes_seeded(8 << 20, 11);
    const size_t total = size_t(256) << 20;
    for (size_t piece : {size_t(128) << 10, block.size()}) {
        NullSink null;
        auto t0 = std::chrono::steady_clock::now();
        AesGcmEncryptor enc(key, null);
        for (size_t done = 0; done < total; done += piece)
            enc.write(block.data(), piece);
        enc.finish();
        double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        std::printf("AesGcmEncryptor, %zu KiB writes: 256 MiB in %.3f s = %.0f MB/s\n", piece >> 10,
                    s, total / s / 1e6);
        EXPECT_GT(null.n, total);
    }
}
