#include "io/zstd_filter.h"
#include "util/error.h"

#include <gtest/gtest.h>
#include <zstd.h>

#include <algorithm>
#include <cstdio>
#include <initializer_list>
#include <random>

using namespace safekeep;

static std::vector<uint8_t> roundtrip_streaming(const std::vector<uint8_t> &in, size_t chunk) {
    std::vector<uint8_t> packed, out;
    VectorSink psink(packed), osink(out);
    ZstdCompressor c(3);
    c.reset(psink);
    for (size_t pos = 0; pos < in.size(); pos += chunk)
        c.write(in.data() + pos, std::min(chunk, in.size() - pos));
    c.finish();
    ZstdDecompressor d;
    d.reset(osink);
    for (size_t pos = 0; pos < packed.size(); pos += chunk)
        d.write(packed.data() + pos, std::min(chunk, packed.size() - pos));
    d.finish();
    return out;
}

TEST(Zstd, EmptyInputRoundTrip) {
    std::vector<uint8_t> packed = zstd_compress("", 0, 3);
    EXPECT_FALSE(packed.empty()); // a frame header even for no data
    EXPECT_TRUE(zstd_decompress(packed.data(), packed.size()).empty());
    EXPECT_TRUE(roundtrip_streaming({}, 4096).empty());
}

TEST(Zstd, MultiMiBRoundTripStreaming) {
    std::vector<uint8_t> in(5 * 1024 * 1024 + 123);
    std::mt19937 rng(42);
    for (size_t i = 0; i < in.size(); i++)
        in[i] = (i % 3 == 0) ? static_cast<uint8_t>(rng()) : static_cast<uint8_t>(i / 4096);
    EXPECT_EQ(roundtrip_streaming(in, 1 << 20), in);
    EXPECT_EQ(roundtrip_streaming(in, 777), in);
    std::vector<uint8_t> packed = zstd_compress(in.data(), in.size(), 1);
    EXPECT_LT(packed.size(), in.size());
    EXPECT_EQ(zstd_decompress(packed.data(), packed.size()), in);
}

TEST(Zstd, ContextsAreReusable) {
    std::vector<uint8_t> a(1000, 'a'), b(3000, 'b');
    std::vector<uint8_t> pa, pb;
    VectorSink sa(pa), sb(pb);
    ZstdCompressor c(3);
    c.reset(sa);
    c.write_last(a.data(), a.size());
    c.reset(sb);
    c.write(b.data(), b.size());
    c.finish();
    EXPECT_EQ(zstd_decompress(pa.data(), pa.size()), a);
    EXPECT_EQ(zstd_decompress(pb.data(), pb.size()), b);
}

TEST(Zstd, TruncatedAndCorruptInputFail) {
    std::vector<uint8_t> in(100000, 'x');
    std::vector<uint8_t> packed = zstd_compress(in.data(), in.size(), 3);
    EXPECT_THROW(zstd_decompress(packed.data(), packed.size() - 5), CorruptData);
    std::vector<uint8_t> garbage(64, 0x55);
    EXPECT_THROW(zstd_decompress(garbage.data(), garbage.size()), CorruptData);
    EXPECT_THROW(zstd_decompress(nullptr, 0), CorruptData);
}

TEST(Zstd, FrameEndingExactlyAtOutputBufferBoundary) {
    // 1 MiB decompresses into exactly eight full output buffers: the frame end
    // coincides with a full buffer, which once looked like a truncation.
    std::vector<uint8_t> in(1 << 20, 0);
    for (size_t i = 0; i < in.size(); i += 97)
        in[i] = static_cast<uint8_t>(i);
    std::vector<uint8_t> packed = zstd_compress(in.data(), in.size(), 3);
    EXPECT_EQ(zstd_decompress(packed.data(), packed.size()), in);
}

// Frames in a zstd object (throws if it is not a sequence of whole frames).
static int count_frames(const std::vector<uint8_t> &packed) {
    int n = 0;
    for (size_t pos = 0; pos < packed.size(); n++) {
        size_t len = ZSTD_findFrameCompressedSize(packed.data() + pos, packed.size() - pos);
        if (ZSTD_isError(len))
            throw Error(ZSTD_getErrorName(len));
        pos += len;
    }
    return n;
}

static std::vector<uint8_t> random_bytes(size_t len, uint32_t seed) {
    std::vector<uint8_t> out(len);
    std::mt19937 rng(seed);
    for (auto &b : out)
        b = static_cast<uint8_t>(rng());
    return out;
}

// Rows of digits and padding, like pgbench_accounts pages.
static std::vector<uint8_t> table_like(size_t len, uint32_t seed) {
    std::vector<uint8_t> out;
    std::mt19937 rng(seed);
    char row[128];
    while (out.size() < len) {
        unsigned aid = rng() % 100000000, bid = rng() % 1000;
        int balance = static_cast<int>(rng() % 20000) - 10000;
        int n = snprintf(row, sizeof row, "%10u|%6u|%8d|%-60s", aid, bid, balance, "");
        out.insert(out.end(), row, row + n);
    }
    out.resize(len);
    return out;
}

static std::vector<uint8_t> concat(std::initializer_list<std::vector<uint8_t>> parts) {
    std::vector<uint8_t> out;
    for (const auto &p : parts)
        out.insert(out.end(), p.begin(), p.end());
    return out;
}

static std::vector<uint8_t> compress_in_chunks(const std::vector<uint8_t> &in, size_t chunk,
                                               int level = 3) {
    std::vector<uint8_t> packed;
    VectorSink sink(packed);
    ZstdCompressor c(level);
    c.reset(sink);
    for (size_t pos = 0; pos < in.size(); pos += chunk)
        c.write(in.data() + pos, std::min(chunk, in.size() - pos));
    c.finish();
    return packed;
}

// The restore and verify paths decompress objects with ZstdDecompressor fed in
// buffers of any size; big files and effort changes make multi-frame objects.
static std::vector<uint8_t> decompress_in_chunks(const std::vector<uint8_t> &packed, size_t chunk) {
    std::vector<uint8_t> out;
    VectorSink sink(out);
    ZstdDecompressor d;
    d.reset(sink);
    for (size_t pos = 0; pos < packed.size(); pos += chunk)
        d.write(packed.data() + pos, std::min(chunk, packed.size() - pos));
    d.finish();
    return out;
}

TEST(Zstd, ConcatenatedFramesDecompressAsOneObject) {
    std::vector<uint8_t> a = table_like(300000, 1), b = random_bytes(70000, 2);
    std::vector<uint8_t> pa = zstd_compress(a.data(), a.size(), 3);
    std::vector<uint8_t> pb = zstd_compress(b.data(), b.size(), 1);
    std::vector<uint8_t> packed = concat({pa, pb});
    ASSERT_EQ(count_frames(packed), 2);
    std::vector<uint8_t> both = concat({a, b});
    EXPECT_EQ(zstd_decompress(packed.data(), packed.size()), both);
    // Buffers that end exactly at the frame boundary, and ones that straddle it.
    EXPECT_EQ(decompress_in_chunks(packed, pa.size()), both);
    EXPECT_EQ(decompress_in_chunks(packed, 4096), both);
    EXPECT_EQ(decompress_in_chunks(packed, 1), both);
    // Cut inside the second frame: truncated.
    EXPECT_THROW(zstd_decompress(packed.data(), packed.size() - 3), CorruptData);
    EXPECT_THROW(decompress_in_chunks({packed.begin(), packed.begin() + pa.size() + 10}, 4096),
                 CorruptData);
}

TEST(Zstd, IncompressibleStretchGetsItsOwnCheapFrame) {
    // Table data, random TOAST-like data, table data again: the random part is
    // compressed in frames of its own, and the stream goes back to the
    // configured level afterwards.
    std::vector<uint8_t> in =
        concat({table_like(4 << 20, 3), random_bytes(8 << 20, 4), table_like(4 << 20, 5)});
    for (size_t chunk : {size_t(1) << 20, size_t(777) * 1000, size_t(65536)}) {
        std::vector<uint8_t> packed = compress_in_chunks(in, chunk);
        EXPECT_EQ(count_frames(packed), 3) << chunk;
        EXPECT_EQ(decompress_in_chunks(packed, 1 << 20), in) << chunk;
        EXPECT_EQ(decompress_in_chunks(packed, 777), in) << chunk;
        // As small as one frame at the configured level, within 1%.
        ByteBuffer whole = zstd_compress_oneshot(in.data(), in.size(), 3);
        EXPECT_LE(packed.size(), whole.size + whole.size / 100) << chunk;
    }
}

TEST(Zstd, CompressibleDataStaysInOneFrame) {
    std::vector<uint8_t> in = table_like(6 << 20, 6);
    std::vector<uint8_t> packed = compress_in_chunks(in, 1 << 20);
    EXPECT_EQ(count_frames(packed), 1);
    EXPECT_EQ(zstd_decompress(packed.data(), packed.size()), in);
}

TEST(Zstd, CheapConfiguredLevelNeverSwitches) {
    std::vector<uint8_t> in = concat({table_like(2 << 20, 7), random_bytes(4 << 20, 8)});
    std::vector<uint8_t> packed = compress_in_chunks(in, 1 << 20, 1);
    EXPECT_EQ(count_frames(packed), 1);
    EXPECT_EQ(zstd_decompress(packed.data(), packed.size()), in);
}

TEST(Zstd, FramesOnWorkerThreadsRoundTrip) {
    // new_frame() as copy_one uses it for big files, mixing thread counts.
    std::vector<uint8_t> a = random_bytes(6 << 20, 9), b = table_like(6 << 20, 10),
                         c = random_bytes(3 << 20, 11);
    std::vector<uint8_t> packed;
    VectorSink sink(packed);
    ZstdCompressor z(3);
    z.reset(sink);
    z.write(a.data(), a.size());
    z.new_frame(2);
    z.write(b.data(), b.size());
    z.new_frame(0);
    z.write_last(c.data(), c.size());
    EXPECT_GE(count_frames(packed), 3);
    EXPECT_EQ(decompress_in_chunks(packed, 100000), concat({a, b, c}));
}

TEST(Zstd, WriteLastLongerThanAProbeWindow) {
    std::vector<uint8_t> in = concat({random_bytes(3 << 20, 12), table_like(3 << 20, 13)});
    std::vector<uint8_t> packed;
    VectorSink sink(packed);
    ZstdCompressor z(3);
    z.reset(sink);
    z.write_last(in.data(), in.size());
    EXPECT_EQ(zstd_decompress(packed.data(), packed.size()), in);
}
