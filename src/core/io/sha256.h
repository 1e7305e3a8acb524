// SHA-256 through OpenSSL EVP, as a reusable context and as a pass-through filter.
#pragma once

#include "io/sink.h"

#include <string>

struct evp_md_ctx_st;

namespace safekeep {

class Sha256 {
  public:
    Sha256();
    ~Sha256();
    Sha256(const Sha256 &) = delete;
    Sha256 &operator=(const Sha256 &) = delete;

    void reset();
    void update(const void *data, size_t len);
    // Lowercase hex digest; the context must be reset() before reuse.
    std::string final_hex();

  private:
    evp_md_ctx_st *ctx_;
};

std::string sha256_hex(const void *data, size_t len);

// Hashes everything that flows through it, then passes it on unchanged.
class Sha256Filter : public Sink {
  public:
    Sha256Filter(Sha256 &hash, Sink &next) : hash_(hash), next_(next) {}
    void write(const uint8_t *data, size_t len) override {
        hash_.update(data, len);
        next_.write(data, len);
    }
    void finish() override { next_.finish(); }

  private:
    Sha256 &hash_;
    Sink &next_;
};

} // namespace safekeep
