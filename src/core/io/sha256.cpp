#include "io/sha256.h"

#include "util/error.h"

#include <openssl/evp.h>

namespace safekeep {

Sha256::Sha256() : ctx_(EVP_MD_CTX_new()) {
    if (!ctx_)
        throw Error("out of memory creating SHA-256 context");
    reset();
}

Sha256::~Sha256() {
    EVP_MD_CTX_free(ctx_);
}

void Sha256::reset() {
    if (EVP_DigestInit_ex(ctx_, EVP_sha256(), nullptr) != 1)
        throw Error("could not initialise SHA-256");
}

void Sha256::update(const void *data, size_t len) {
    if (len > 0 && EVP_DigestUpdate(ctx_, data, len) != 1)
        throw Error("SHA-256 update failed");
}

std::string Sha256::final_hex() {
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    if (EVP_DigestFinal_ex(ctx_, md, &n) != 1)
        throw Error("SHA-256 final failed");
    static const char hex[] = "0123456789abcdef";
    std::string out(n * 2, '0');
    for (unsigned int i = 0; i < n; i++) {
        out[2 * i] = hex[md[i] >> 4];
        out[2 * i + 1] = hex[md[i] & 15];
    }
    return out;
}

std::string sha256_hex(const void *data, size_t len) {
    Sha256 h;
    h.update(data, len);
    return h.final_hex();
}

} // namespace safekeep
