// zstd streaming compression/decompression as Sinks. Contexts are kept across
// streams (reset() starts a new one) so per-file setup costs nothing.
#pragma once

#include "io/sink.h"

#include <memory>
#include <vector>

struct ZSTD_CCtx_s;
struct ZSTD_DCtx_s;

namespace safekeep {

class ZstdCompressor : public Sink {
  public:
    explicit ZstdCompressor(int level);
    ~ZstdCompressor() override;
    ZstdCompressor(const ZstdCompressor &) = delete;
    ZstdCompressor &operator=(const ZstdCompressor &) = delete;

    // Start a new frame whose output goes to next.
    void reset(Sink &next);
    void write(const uint8_t *data, size_t len) override;
    // Ends the frame and finishes next.
    void finish() override;
    // Ends the current frame and starts another whose compression runs on
    // nb_workers zstd threads (0: on the caller's thread). Concatenated frames
    // decompress as one stream; this lets idle copy threads help with a big file.
    void new_frame(int nb_workers);
    // write() + finish() in one call; lets zstd size its tables for small inputs.
    void write_last(const uint8_t *data, size_t len);

  private:
    void drive(const uint8_t *data, size_t len, int mode);
    ZSTD_CCtx_s *cctx_;
    Sink *next_ = nullptr;
    std::vector<uint8_t> out_;
};

class ZstdDecompressor : public Sink {
  public:
    ZstdDecompressor();
    ~ZstdDecompressor() override;
    ZstdDecompressor(const ZstdDecompressor &) = delete;
    ZstdDecompressor &operator=(const ZstdDecompressor &) = delete;

    void reset(Sink &next);
    // Throws Error on corrupt input.
    void write(const uint8_t *data, size_t len) override;
    // Throws Error if the input ended inside a frame (truncated object).
    void finish() override;

  private:
    ZSTD_DCtx_s *dctx_;
    Sink *next_ = nullptr;
    std::vector<uint8_t> out_;
    size_t pending_ = 0; // last ZSTD_decompressStream hint; 0 = frame complete
    bool any_input_ = false;
};

// Heap bytes without the zero-fill std::vector would do.
struct ByteBuffer {
    std::unique_ptr<uint8_t[]> data;
    size_t size = 0;
};
// One frame, compressed in one call (for whole files already in memory).
ByteBuffer zstd_compress_oneshot(const void *data, size_t len, int level);

// One-shot helpers.
std::vector<uint8_t> zstd_compress(const void *data, size_t len, int level);
std::vector<uint8_t> zstd_decompress(const void *data, size_t len);

} // namespace safekeep
