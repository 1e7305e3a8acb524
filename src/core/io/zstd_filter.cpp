#include "io/zstd_filter.h"

#include "util/error.h"

#include <zstd.h>

#include <algorithm>
#include <cstdint>

namespace safekeep {

static void check(size_t rc, const char *what) {
    if (ZSTD_isError(rc))
        throw Error(std::string(what) + ": " + ZSTD_getErrorName(rc));
}

namespace {

// Input between two looks at the ratio: whole zstd blocks (128 KiB), so the
// flush that makes the count exact never cuts a block short.
constexpr uint64_t kProbeBytes = 1 << 20;
// Level 1 keeps literal (Huffman) compression and short matches: on random
// TOAST pages it stores as small as level 3 (the page and tuple headers) at
// about 4x the speed, and its ratio still shows when data compresses again.
constexpr int kCheapLevel = 1;
// A window at >= 97% of its input is incompressible; a cheap one must get below
// 94% to go back (hysteresis: data near the line does not flip every window).
constexpr uint64_t kEnterCheapPct = 97;
constexpr uint64_t kLeaveCheapPct = 94;

} // namespace

ZstdCompressor::ZstdCompressor(int level)
    : cctx_(ZSTD_createCCtx()), level_(level), adaptive_(level > kCheapLevel) {
    if (!cctx_)
        throw Error("out of memory creating zstd compression context");
    check(ZSTD_CCtx_setParameter(cctx_, ZSTD_c_compressionLevel, level), "zstd level");
    // Parallelism comes from our own threads; zstd workers would oversubscribe
    // (new_frame() hands idle threads' share to zstd for big files).
    check(ZSTD_CCtx_setParameter(cctx_, ZSTD_c_checksumFlag, 1), "zstd checksum");
    out_.resize(ZSTD_CStreamOutSize());
}

ZstdCompressor::~ZstdCompressor() {
    ZSTD_freeCCtx(cctx_);
}

void ZstdCompressor::reset(Sink &next) {
    next_ = &next;
    workers_ = 0;
    want_cheap_ = false;
    in_ = out_bytes_ = 0;
    start_frame();
}

// Frame parameters are only read at a frame start: zstd applies a level change
// mid-frame only with worker threads, and then only from its next job.
void ZstdCompressor::start_frame() {
    check(ZSTD_CCtx_reset(cctx_, ZSTD_reset_session_only), "zstd reset");
    check(ZSTD_CCtx_setParameter(cctx_, ZSTD_c_nbWorkers, workers_), "zstd workers");
    if (workers_ > 0) // small jobs keep each helper's buffers small
        check(ZSTD_CCtx_setParameter(cctx_, ZSTD_c_jobSize, 4 << 20), "zstd job size");
    cheap_ = want_cheap_;
    check(ZSTD_CCtx_setParameter(cctx_, ZSTD_c_compressionLevel, cheap_ ? kCheapLevel : level_),
          "zstd level");
    in_mark_ = in_;
    out_mark_ = out_bytes_;
}

// A frame with worker threads had no probes (a flush would stall its jobs):
// its whole ratio decides the next frame's effort.
void ZstdCompressor::end_frame() {
    drive(nullptr, 0, ZSTD_e_end);
    if (in_ - in_mark_ >= kProbeBytes)
        judge_window();
}

void ZstdCompressor::drive(const uint8_t *data, size_t len, int mode) {
    ZSTD_inBuffer in{data, len, 0};
    for (;;) {
        ZSTD_outBuffer out{out_.data(), out_.size(), 0};
        size_t rc = ZSTD_compressStream2(cctx_, &out, &in, static_cast<ZSTD_EndDirective>(mode));
        check(rc, "zstd compression failed");
        if (out.pos > 0)
            next_->write(out_.data(), out.pos);
        out_bytes_ += out.pos;
        if (mode == ZSTD_e_continue ? in.pos == in.size : rc == 0)
            break;
    }
}

// Input the current window still takes before a probe; no probes at all
// when not adaptive or on worker threads.
size_t ZstdCompressor::probe_room() const {
    if (!adaptive_ || workers_ > 0)
        return SIZE_MAX;
    return static_cast<size_t>(kProbeBytes - (in_ - in_mark_));
}

// Flushes so that every byte of the window has come out, then judges it.
void ZstdCompressor::probe() {
    drive(nullptr, 0, ZSTD_e_flush);
    judge_window();
}

void ZstdCompressor::judge_window() {
    const uint64_t in = in_ - in_mark_, out = out_bytes_ - out_mark_;
    want_cheap_ = out * 100 >= in * (cheap_ ? kLeaveCheapPct : kEnterCheapPct);
    in_mark_ = in_;
    out_mark_ = out_bytes_;
}

// Switches effort when the last probe asked for it. Lazy, so a stream that
// ends right after a probe gets no empty frame.
void ZstdCompressor::apply_effort() {
    if (want_cheap_ == cheap_)
        return;
    end_frame();
    start_frame();
}

void ZstdCompressor::write(const uint8_t *data, size_t len) {
    while (len > 0) {
        apply_effort();
        const size_t n = std::min(len, probe_room());
        drive(data, n, ZSTD_e_continue);
        in_ += n;
        data += n;
        len -= n;
        if (probe_room() == 0)
            probe();
    }
}

void ZstdCompressor::finish() {
    drive(nullptr, 0, ZSTD_e_end);
    next_->finish();
}

ZstdDecompressor::ZstdDecompressor() : dctx_(ZSTD_createDCtx()) {
    if (!dctx_)
        throw Error("out of memory creating zstd decompression context");
    out_.resize(ZSTD_DStreamOutSize());
}

ZstdDecompressor::~ZstdDecompressor() {
    ZSTD_freeDCtx(dctx_);
}

void ZstdDecompressor::reset(Sink &next) {
    check(ZSTD_DCtx_reset(dctx_, ZSTD_reset_session_only), "zstd reset");
    next_ = &next;
    pending_ = 0;
    any_input_ = false;
}

void ZstdDecompressor::write(const uint8_t *data, size_t len) {
    if (len == 0)
        return;
    any_input_ = true;
    ZSTD_inBuffer in{data, len, 0};
    // Loop until all input is consumed and nothing more is waiting (a full
    // output buffer may mean more output is pending).
    for (;;) {
        ZSTD_outBuffer out{out_.data(), out_.size(), 0};
        size_t rc = ZSTD_decompressStream(dctx_, &out, &in);
        if (ZSTD_isError(rc))
            throw CorruptData(std::string("corrupt zstd data: ") + ZSTD_getErrorName(rc));
        pending_ = rc;
        if (out.pos > 0)
            next_->write(out_.data(), out.pos);
        // rc == 0: frame complete and fully flushed (calling again would
        // report the header size of a next frame, not a truncation).
        if (in.pos == in.size && (out.pos < out.size || rc == 0))
            break;
    }
}

void ZstdDecompressor::finish() {
    if (!any_input_)
        throw CorruptData("corrupt zstd data: empty object");
    if (pending_ != 0)
        throw CorruptData("corrupt zstd data: object is truncated");
    next_->finish();
}

void ZstdCompressor::new_frame(int nb_workers) {
    end_frame();
    workers_ = nb_workers;
    start_frame();
}

void ZstdCompressor::write_last(const uint8_t *data, size_t len) {
    // What follows the last probe goes in with the frame end, in one call: for
    // a small input that is all of it, and zstd sizes its tables to it.
    if (len > probe_room()) {
        write(data, len);
        len = 0;
    } else if (len > 0) {
        apply_effort();
    }
    drive(data, len, ZSTD_e_end);
    next_->finish();
}

ByteBuffer zstd_compress_oneshot(const void *data, size_t len, int level) {
    // One context per thread, reused: a new one costs page faults on its
    // tables for every WAL segment.
    thread_local std::unique_ptr<ZSTD_CCtx, size_t (*)(ZSTD_CCtx *)> cctx(ZSTD_createCCtx(),
                                                                          ZSTD_freeCCtx);
    if (!cctx)
        throw Error("out of memory creating zstd compression context");
    ZSTD_CCtx_reset(cctx.get(), ZSTD_reset_session_and_parameters);
    check(ZSTD_CCtx_setParameter(cctx.get(), ZSTD_c_compressionLevel, level), "zstd level");
    check(ZSTD_CCtx_setParameter(cctx.get(), ZSTD_c_checksumFlag, 1), "zstd checksum");
    ByteBuffer out;
    size_t bound = ZSTD_compressBound(len);
    out.data.reset(new uint8_t[bound]);
    size_t n = ZSTD_compress2(cctx.get(), out.data.get(), bound, data, len);
    check(n, "zstd compression failed");
    out.size = n;
    return out;
}

std::vector<uint8_t> zstd_compress(const void *data, size_t len, int level) {
    std::vector<uint8_t> out;
    VectorSink sink(out);
    ZstdCompressor c(level);
    c.reset(sink);
    c.write_last(static_cast<const uint8_t *>(data), len);
    return out;
}

std::vector<uint8_t> zstd_decompress(const void *data, size_t len) {
    std::vector<uint8_t> out;
    VectorSink sink(out);
    ZstdDecompressor d;
    d.reset(sink);
    d.write(static_cast<const uint8_t *>(data), len);
    d.finish();
    return out;
}

} // namespace safekeep
