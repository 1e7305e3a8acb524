#include "io/zstd_filter.h"
#include "util/error.h"

#include <gtest/gtest.h>
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
