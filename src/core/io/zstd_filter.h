// zstd streaming compression/decompression as Sinks. Contexts are kept across
// streams (reset() starts a new one) so per-file setup costs nothing.
#pragma once

#include "io/sink.h"

#include <memory>
#include <vector>

struct ZSTD_CCtx_s;
struct ZSTD_DCtx_s;

namespace safekeep {

// Adaptive effort: a stream starts at the configured level; when a window of
// its input proves incompressible (random TOAST data), the following frames run
// at a cheap level until a window compresses well again. The output stays a
// valid zstd stream (concatenated frames), byte for byte what was written.
class ZstdCompressor : public Sink {
  public:
    explicit ZstdCompressor(int level);
    ~ZstdCompressor() override;
    ZstdCompressor(const ZstdCompressor &) = delete;
    ZstdCompressor &operator=(const ZstdCompressor &) = delete;

    // Start a new stream, at the configured level, whose output goes to next.
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
    void start_frame();
    void end_frame();
    size_t probe_room() const;
    void probe();
    void judge_window();
    void apply_effort();

    ZSTD_CCtx_s *cctx_;
    Sink *next_ = nullptr;
    std::vector<uint8_t> out_;
    const int level_;     // configured level
    const bool adaptive_; // false if the configured level is already cheap
    int workers_ = 0;     // zstd threads of the current frame
    bool cheap_ = false;  // the current frame runs at the cheap level
    bool want_cheap_ = false;
    uint64_t in_ = 0, out_bytes_ = 0;     // stream totals: input given, output passed on
    uint64_t in_mark_ = 0, out_mark_ = 0; // totals at the start of the window
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
