#include "io/zstd_filter.h"

#include "util/error.h"

#include <zstd.h>

namespace safekeep {

static void check(size_t rc, const char *what) {
    if (ZSTD_isError(rc))
        throw Error(std::string(what) + ": " + ZSTD_getErrorName(rc));
}

ZstdCompressor::ZstdCompressor(int level) : cctx_(ZSTD_createCCtx()) {
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
    check(ZSTD_CCtx_reset(cctx_, ZSTD_reset_session_only), "zstd reset");
    check(ZSTD_CCtx_setParameter(cctx_, ZSTD_c_nbWorkers, 0), "zstd workers");
    next_ = &next;
}

void ZstdCompressor::drive(const uint8_t *data, size_t len, int mode) {
    ZSTD_inBuffer in{data, len, 0};
    for (;;) {
        ZSTD_outBuffer out{out_.data(), out_.size(), 0};
        size_t rc = ZSTD_compressStream2(cctx_, &out, &in, static_cast<ZSTD_EndDirective>(mode));
        check(rc, "zstd compression failed");
        if (out.pos > 0)
            next_->write(out_.data(), out.pos);
        if (mode == ZSTD_e_end ? rc == 0 : in.pos == in.size)
            break;
    }
}

void ZstdCompressor::write(const uint8_t *data, size_t len) {
    if (len > 0)
        drive(data, len, ZSTD_e_continue);
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
    drive(nullptr, 0, ZSTD_e_end);
    check(ZSTD_CCtx_reset(cctx_, ZSTD_reset_session_only), "zstd reset");
    check(ZSTD_CCtx_setParameter(cctx_, ZSTD_c_nbWorkers, nb_workers), "zstd workers");
    if (nb_workers > 0) // small jobs keep each helper's buffers small
        check(ZSTD_CCtx_setParameter(cctx_, ZSTD_c_jobSize, 4 << 20), "zstd job size");
}

void ZstdCompressor::write_last(const uint8_t *data, size_t len) {
    drive(data, len, ZSTD_e_end);
    next_->finish();
}

ByteBuffer zstd_compress_oneshot(const void *data, size_t len, int level) {
    std::unique_ptr<ZSTD_CCtx, size_t (*)(ZSTD_CCtx *)> cctx(ZSTD_createCCtx(), ZSTD_freeCCtx);
    if (!cctx)
        throw Error("out of memory creating zstd compression context");
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
