#include "io/aes_gcm.h"

#include "util/error.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <algorithm>
#include <climits>
#include <cstring>

namespace safekeep {

namespace {

const uint8_t kMagic[8] = {'S', 'K', 'G', 'C', 'M', '1', 0, 0};
const char kStreamLabel[] = "pg_safekeep gcm stream";
constexpr size_t kSaltOffset = 12, kSaltSize = 16, kPrefixOffset = 28;

void put_be32(uint8_t *p, uint32_t v) {
    p[0] = uint8_t(v >> 24), p[1] = uint8_t(v >> 16), p[2] = uint8_t(v >> 8), p[3] = uint8_t(v);
}

uint32_t get_be32(const uint8_t *p) {
    return uint32_t(p[0]) << 24 | uint32_t(p[1]) << 16 | uint32_t(p[2]) << 8 | p[3];
}

// One EVP context, keyed once; each message only sets a new IV, so the AES key
// schedule is computed once per stream and nothing is allocated per chunk.
class GcmCipher {
  public:
    GcmCipher() : ctx_(EVP_CIPHER_CTX_new()) {
        if (!ctx_)
            throw Error("out of memory creating AES-256-GCM context");
    }
    ~GcmCipher() { EVP_CIPHER_CTX_free(ctx_); }
    GcmCipher(const GcmCipher &) = delete;
    GcmCipher &operator=(const GcmCipher &) = delete;

    void set_key(const Key256 &key) {
        if (EVP_CipherInit_ex(ctx_, EVP_aes_256_gcm(), nullptr, key.data(), nullptr, 1) != 1)
            throw Error("could not initialise AES-256-GCM");
    }

    // Encrypts (writing tag) or decrypts (checking tag) one message under the
    // current key; returns false only when a decryption's tag does not verify.
    bool run(bool enc, const uint8_t *iv, const uint8_t *aad, size_t aad_len, const uint8_t *in,
             size_t len, uint8_t *out, uint8_t *tag) {
        if (len > INT_MAX || aad_len > INT_MAX)
            throw Error("AES-256-GCM message too large");
        int n = 0;
        uint8_t none[16];
        if (EVP_CipherInit_ex(ctx_, nullptr, nullptr, nullptr, iv, enc ? 1 : 0) != 1 ||
            (aad_len > 0 && EVP_CipherUpdate(ctx_, nullptr, &n, aad, int(aad_len)) != 1) ||
            (len > 0 && EVP_CipherUpdate(ctx_, out, &n, in, int(len)) != 1))
            throw Error("AES-256-GCM operation failed");
        if (!enc) {
            if (EVP_CIPHER_CTX_ctrl(ctx_, EVP_CTRL_GCM_SET_TAG, int(kGcmTagSize), tag) != 1)
                throw Error("AES-256-GCM could not set the tag");
            return EVP_CipherFinal_ex(ctx_, none, &n) == 1;
        }
        if (EVP_CipherFinal_ex(ctx_, none, &n) != 1 ||
            EVP_CIPHER_CTX_ctrl(ctx_, EVP_CTRL_GCM_GET_TAG, int(kGcmTagSize), tag) != 1)
            throw Error("AES-256-GCM could not finish the tag");
        return true;
    }

  private:
    EVP_CIPHER_CTX *ctx_;
};

bool gcm_once(bool enc, const Key256 &key, const uint8_t *iv, const uint8_t *aad, size_t aad_len,
              const uint8_t *in, size_t len, uint8_t *out, uint8_t *tag) {
    GcmCipher c;
    c.set_key(key);
    return c.run(enc, iv, aad, aad_len, in, len, out, tag);
}

} // namespace

// State both directions share: the keyed context, the AAD (header || final
// flag), the chunk counter and the chunk buffers. The buffers grow to what a
// stream needs (a small object never touches a MiB) and are then reused.
struct GcmStream {
    Key256 key; // the caller's key; each stream's key derives from it
    GcmCipher cipher;
    uint8_t aad[kGcmHeaderSize + 1] = {};
    size_t chunk = 0;
    uint64_t counter = 0;
    std::vector<uint8_t> buf; // input collected for the next chunk
    std::vector<uint8_t> out; // one processed chunk
    bool done = false;

    explicit GcmStream(const Key256 &k) : key(k) {}
    ~GcmStream() { OPENSSL_cleanse(key.data(), key.size()); }

    // The header is in aad[0..36): key the cipher.
    void begin() {
        chunk = get_be32(aad + 8);
        uint8_t msg[sizeof(kStreamLabel) - 1 + kSaltSize];
        std::memcpy(msg, kStreamLabel, sizeof(kStreamLabel) - 1);
        std::memcpy(msg + sizeof(kStreamLabel) - 1, aad + kSaltOffset, kSaltSize);
        Key256 stream_key = hmac_sha256(key, msg, sizeof(msg));
        cipher.set_key(stream_key);
        OPENSSL_cleanse(stream_key.data(), stream_key.size());
    }

    // Seals or opens the next chunk; false if it does not authenticate.
    bool next_chunk(bool enc, const uint8_t *in, size_t len, bool final, uint8_t *to,
                    uint8_t *tag) {
        if (counter > UINT32_MAX) {
            if (enc)
                throw Error("object too large to encrypt (more than 2^32 chunks)");
            return false;
        }
        uint8_t iv[kGcmIvSize];
        std::memcpy(iv, aad + kPrefixOffset, 8);
        put_be32(iv + 8, uint32_t(counter++));
        aad[kGcmHeaderSize] = final ? 1 : 0;
        return cipher.run(enc, iv, aad, sizeof(aad), in, len, to, tag);
    }

    uint8_t *out_room(size_t n) {
        if (out.size() < n)
            out.resize(n);
        return out.data();
    }

    // Collects input in units of `whole` bytes; a full unit goes to process() only
    // once more input proves it is not the last (finish() handles the last).
    template <class F> void feed(const uint8_t *data, size_t len, size_t whole, F process) {
        while (len > 0) {
            if (buf.size() == whole) {
                process(buf.data(), whole);
                buf.clear();
            }
            if (buf.empty() && len > whole) { // a whole unit straight from the caller
                process(data, whole);
                data += whole, len -= whole;
                continue;
            }
            size_t n = std::min(len, whole - buf.size());
            buf.insert(buf.end(), data, data + n);
            data += n, len -= n;
        }
    }
};

AesGcmEncryptor::AesGcmEncryptor(const Key256 &key, Sink &next, size_t chunk_size)
    : s_(std::make_unique<GcmStream>(key)), next_(next) {
    if (chunk_size < kGcmMinChunkSize || chunk_size > kGcmMaxChunkSize)
        throw Error("AES-256-GCM chunk size " + std::to_string(chunk_size) + " out of range");
    std::memcpy(s_->aad, kMagic, sizeof(kMagic));
    put_be32(s_->aad + 8, uint32_t(chunk_size));
    random_bytes(s_->aad + kSaltOffset, kGcmHeaderSize - kSaltOffset);
    s_->begin();
}

AesGcmEncryptor::~AesGcmEncryptor() = default;

void AesGcmEncryptor::seal(const uint8_t *plain, size_t len, bool final) {
    if (!header_sent_) {
        next_.write(s_->aad, kGcmHeaderSize);
        header_sent_ = true;
    }
    uint8_t *out = s_->out_room(len + kGcmTagSize);
    s_->next_chunk(true, plain, len, final, out, out + len);
    next_.write(out, len + kGcmTagSize);
}

void AesGcmEncryptor::write(const uint8_t *data, size_t len) {
    if (s_->done)
        throw Error("write to a finished AES-256-GCM stream");
    s_->feed(data, len, s_->chunk, [this](const uint8_t *p, size_t n) { seal(p, n, false); });
}

void AesGcmEncryptor::finish() {
    if (s_->done)
        throw Error("AES-256-GCM stream finished twice");
    seal(s_->buf.data(), s_->buf.size(), true);
    s_->done = true;
    next_.finish();
}

AesGcmDecryptor::AesGcmDecryptor(const Key256 &key, Sink &next, std::string object_name)
    : s_(std::make_unique<GcmStream>(key)), next_(next), name_(std::move(object_name)) {}

AesGcmDecryptor::~AesGcmDecryptor() = default;

void AesGcmDecryptor::fail(const std::string &why) const {
    throw CorruptData("authentication failed for object \"" + name_ + "\": " + why);
}

size_t AesGcmDecryptor::take_header(const uint8_t *data, size_t len) {
    size_t n = std::min(len, kGcmHeaderSize - header_have_);
    std::memcpy(s_->aad + header_have_, data, n);
    header_have_ += n;
    if (header_have_ < kGcmHeaderSize)
        return n;
    if (std::memcmp(s_->aad, kMagic, sizeof(kMagic)) != 0)
        fail("not an encrypted object (bad magic)");
    size_t chunk = get_be32(s_->aad + 8);
    if (chunk < kGcmMinChunkSize || chunk > kGcmMaxChunkSize)
        fail("bad header (chunk size " + std::to_string(chunk) + ")");
    s_->begin();
    return n;
}

void AesGcmDecryptor::open(const uint8_t *chunk, size_t len, bool final) {
    if (len < kGcmTagSize)
        fail("truncated stream");
    size_t plain = len - kGcmTagSize;
    // The tag is checked before a byte of this chunk goes downstream.
    uint64_t index = s_->counter;
    uint8_t *out = s_->out_room(plain);
    if (!s_->next_chunk(false, chunk, plain, final, out, const_cast<uint8_t *>(chunk + plain)))
        fail("chunk " + std::to_string(index) +
             " does not verify (tampered, truncated, reordered or wrong key)");
    next_.write(out, plain);
}

void AesGcmDecryptor::write(const uint8_t *data, size_t len) {
    if (s_->done)
        throw Error("write to a finished AES-256-GCM stream");
    if (header_have_ < kGcmHeaderSize) {
        size_t n = take_header(data, len);
        data += n, len -= n;
        if (header_have_ < kGcmHeaderSize)
            return;
    }
    s_->feed(data, len, s_->chunk + kGcmTagSize,
             [this](const uint8_t *p, size_t n) { open(p, n, false); });
}

void AesGcmDecryptor::finish() {
    if (s_->done)
        throw Error("AES-256-GCM stream finished twice");
    if (header_have_ < kGcmHeaderSize)
        fail(header_have_ >= sizeof(kMagic) && std::memcmp(s_->aad, kMagic, sizeof(kMagic)) != 0
                 ? "not an encrypted object (bad magic)"
                 : "truncated header");
    open(s_->buf.data(), s_->buf.size(), true);
    s_->done = true;
    next_.finish();
}

std::vector<uint8_t> aes_gcm_encrypt(const Key256 &key, const uint8_t *data, size_t len) {
    std::vector<uint8_t> out;
    out.reserve(kGcmHeaderSize + len + (len / kGcmChunkSize + 1) * kGcmTagSize);
    VectorSink sink(out);
    AesGcmEncryptor enc(key, sink);
    enc.write(data, len);
    enc.finish();
    return out;
}

std::vector<uint8_t> aes_gcm_decrypt(const Key256 &key, const uint8_t *data, size_t len,
                                     const std::string &object_name) {
    std::vector<uint8_t> out;
    out.reserve(len);
    VectorSink sink(out);
    AesGcmDecryptor dec(key, sink, object_name);
    dec.write(data, len);
    dec.finish();
    return out;
}

bool looks_encrypted(const uint8_t *data, size_t len) {
    return len >= sizeof(kMagic) && std::memcmp(data, kMagic, sizeof(kMagic)) == 0;
}

void gcm_seal(const Key256 &key, const uint8_t *iv, const uint8_t *aad, size_t aad_len,
              const uint8_t *in, size_t len, uint8_t *out, uint8_t *tag) {
    gcm_once(true, key, iv, aad, aad_len, in, len, out, tag);
}

bool gcm_open(const Key256 &key, const uint8_t *iv, const uint8_t *aad, size_t aad_len,
              const uint8_t *in, size_t len, uint8_t *out, const uint8_t *tag) {
    return gcm_once(false, key, iv, aad, aad_len, in, len, out, const_cast<uint8_t *>(tag));
}

Key256 hmac_sha256(const Key256 &key, const void *msg, size_t len) {
    Key256 out;
    unsigned int n = 0;
    if (!HMAC(EVP_sha256(), key.data(), int(key.size()), static_cast<const uint8_t *>(msg), len,
              out.data(), &n) ||
        n != out.size())
        throw Error("HMAC-SHA256 failed");
    return out;
}

void random_bytes(uint8_t *out, size_t len) {
    if (len > INT_MAX || RAND_bytes(out, int(len)) != 1)
        throw Error("could not get random bytes from OpenSSL");
}

} // namespace safekeep
