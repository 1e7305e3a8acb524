// AES-256-GCM for repository objects, as stream filters (after zstd on the way out,
// before it on the way back) and one-shot helpers.
//
// Stream format (integers big-endian):
//   header, 36 bytes: magic "SKGCM1\0\0" | u32 chunk size C | 16-byte salt | 8-byte nonce prefix
//   chunks: ciphertext || 16-byte tag. Every chunk but the last holds exactly C plaintext
//   bytes; the last holds 0..C (an empty stream still has one empty final chunk).
// Each stream runs under its own key, HMAC-SHA256(key, "pg_safekeep gcm stream" || salt), so
// the millions of objects that share a data key (WAL) never risk a repeated nonce. Chunk i
// uses nonce = prefix || u32 i and AAD = header || final flag (1 on the last chunk, else 0):
// reordering chunks, cutting the stream after any chunk, appending to it or editing the
// header all fail authentication.
#pragma once

#include "io/sink.h"

#include <array>
#include <memory>
#include <string>
#include <vector>

namespace safekeep {

using Key256 = std::array<uint8_t, 32>;

constexpr size_t kGcmHeaderSize = 36;
constexpr size_t kGcmTagSize = 16;
constexpr size_t kGcmIvSize = 12;
constexpr size_t kGcmChunkSize = 1 << 20;
// What a decryptor accepts from a header: bounds the memory a hostile object can demand.
constexpr size_t kGcmMinChunkSize = 64;
constexpr size_t kGcmMaxChunkSize = 16 << 20;

struct GcmStream; // cipher context and per-stream state (aes_gcm.cpp)

// Encrypts and writes to next. finish() writes the final chunk and finishes next.
// chunk_size is for tests; objects use the default.
class AesGcmEncryptor : public Sink {
  public:
    AesGcmEncryptor(const Key256 &key, Sink &next, size_t chunk_size = kGcmChunkSize);
    ~AesGcmEncryptor() override;
    AesGcmEncryptor(const AesGcmEncryptor &) = delete;
    AesGcmEncryptor &operator=(const AesGcmEncryptor &) = delete;

    void write(const uint8_t *data, size_t len) override;
    void finish() override;

  private:
    void seal(const uint8_t *plain, size_t len, bool final);

    std::unique_ptr<GcmStream> s_;
    Sink &next_;
    bool header_sent_ = false;
};

// Authenticates and decrypts to next; a chunk reaches next only after its tag
// verified. Throws CorruptData("authentication failed for object \"<name>\": ...")
// on a bad header, tampering, truncation, reordering, trailing bytes or a wrong key.
// finish() checks that the final chunk was seen, then finishes next.
class AesGcmDecryptor : public Sink {
  public:
    AesGcmDecryptor(const Key256 &key, Sink &next, std::string object_name);
    ~AesGcmDecryptor() override;
    AesGcmDecryptor(const AesGcmDecryptor &) = delete;
    AesGcmDecryptor &operator=(const AesGcmDecryptor &) = delete;

    void write(const uint8_t *data, size_t len) override;
    void finish() override;

  private:
    size_t take_header(const uint8_t *data, size_t len);
    void open(const uint8_t *chunk, size_t len, bool final);
    [[noreturn]] void fail(const std::string &why) const;

    std::unique_ptr<GcmStream> s_;
    Sink &next_;
    std::string name_;
    size_t header_have_ = 0;
};

std::vector<uint8_t> aes_gcm_encrypt(const Key256 &key, const uint8_t *data, size_t len);
std::vector<uint8_t> aes_gcm_decrypt(const Key256 &key, const uint8_t *data, size_t len,
                                     const std::string &object_name);
// True if data starts with the stream magic (an encrypted object, not a zstd one).
bool looks_encrypted(const uint8_t *data, size_t len);

// The raw primitive: one AES-256-GCM message with a 96-bit IV and a 16-byte tag.
// Used for key wrapping and checked against published test vectors.
void gcm_seal(const Key256 &key, const uint8_t *iv, const uint8_t *aad, size_t aad_len,
              const uint8_t *in, size_t len, uint8_t *out, uint8_t *tag);
// Returns false (and leaves out unspecified) if the tag does not verify.
bool gcm_open(const Key256 &key, const uint8_t *iv, const uint8_t *aad, size_t aad_len,
              const uint8_t *in, size_t len, uint8_t *out, const uint8_t *tag);

// HMAC-SHA256(key, msg): derives subkeys and verifiers.
Key256 hmac_sha256(const Key256 &key, const void *msg, size_t len);
// RAND_bytes, throwing Error if the generator fails.
void random_bytes(uint8_t *out, size_t len);

} // namespace safekeep
