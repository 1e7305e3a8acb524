#include "repo/keyring.h"

#include "os/files.h"
#include "util/error.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <cstdio>
#include <fcntl.h>
#include <sys/stat.h>

namespace safekeep {

namespace {

constexpr int kFormat = 2;
constexpr size_t kSaltSize = 16;
constexpr size_t kWrappedSize = kGcmIvSize + 32 + kGcmTagSize;
constexpr uint64_t kMaxScryptMemory = uint64_t(1) << 30;
const char kCheckLabel[] = "pg_safekeep key check";
const char kWrapLabel[] = "pg_safekeep key wrap";
const char kMasterName[] = "master";

// Wipes a key when it goes out of scope, however the scope is left.
struct ScopedKey {
    Key256 k{};
    ~ScopedKey() { OPENSSL_cleanse(k.data(), k.size()); }
};

std::string to_hex(const uint8_t *p, size_t len) {
    static const char digits[] = "0123456789abcdef";
    std::string s(2 * len, '0');
    for (size_t i = 0; i < len; i++)
        s[2 * i] = digits[p[i] >> 4], s[2 * i + 1] = digits[p[i] & 15];
    return s;
}

int hex_digit(char c) {
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

std::string section_field(const std::string &name) {
    return "repository cipher section field \"" + name + "\"";
}

// Decodes exactly len bytes of hex; throws naming the field otherwise.
void from_hex(const std::string &hex, uint8_t *out, size_t len, const std::string &what) {
    bool ok = hex.size() == 2 * len;
    for (size_t i = 0; ok && i < len; i++) {
        int hi = hex_digit(hex[2 * i]), lo = hex_digit(hex[2 * i + 1]);
        ok = hi >= 0 && lo >= 0;
        out[i] = uint8_t(hi << 4 | lo);
    }
    if (!ok)
        throw CorruptData(what + " is not " + std::to_string(len) + " bytes of hex");
}

void check_kdf(const KdfParams &kdf) {
    if (kdf.name != "scrypt")
        throw Error("unsupported key derivation function \"" + kdf.name + "\"");
    // Bounds also keep a hostile repo.json from demanding unbounded memory.
    if (kdf.N < 2 || (kdf.N & (kdf.N - 1)) != 0 || kdf.r < 1 || kdf.r > 32 || kdf.p < 1 ||
        kdf.p > 16 || kdf.N > kMaxScryptMemory / 128 / kdf.r)
        throw Error("invalid scrypt parameters N=" + std::to_string(kdf.N) +
                    " r=" + std::to_string(kdf.r) + " p=" + std::to_string(kdf.p));
}

// scrypt(passphrase) -> repository key -> (wrapping key, key check).
Key256 derive(const std::string &passphrase, const uint8_t *salt, const KdfParams &kdf,
              Key256 &check) {
    check_kdf(kdf);
    ScopedKey repo;
    uint64_t maxmem = 128 * uint64_t(kdf.r) * (kdf.N + kdf.p + 2) + (1 << 20);
    if (EVP_PBE_scrypt(passphrase.data(), passphrase.size(), salt, kSaltSize, kdf.N, kdf.r, kdf.p,
                       maxmem, repo.k.data(), repo.k.size()) != 1)
        throw Error("scrypt key derivation failed");
    check = hmac_sha256(repo.k, kCheckLabel, sizeof(kCheckLabel) - 1);
    return hmac_sha256(repo.k, kWrapLabel, sizeof(kWrapLabel) - 1);
}

std::string seal_key(const Key256 &wrap_key, const std::string &name, const Key256 &key) {
    uint8_t w[kWrappedSize];
    random_bytes(w, kGcmIvSize);
    const auto *aad = reinterpret_cast<const uint8_t *>(name.data());
    gcm_seal(wrap_key, w, aad, name.size(), key.data(), key.size(), w + kGcmIvSize,
             w + kGcmIvSize + key.size());
    return to_hex(w, sizeof(w));
}

Key256 open_key(const Key256 &wrap_key, const std::string &name, const std::string &hex,
                const std::string &field) {
    uint8_t w[kWrappedSize];
    from_hex(hex, w, sizeof(w), field);
    Key256 key;
    const auto *aad = reinterpret_cast<const uint8_t *>(name.data());
    if (!gcm_open(wrap_key, w, aad, name.size(), w + kGcmIvSize, key.size(), key.data(),
                  w + kGcmIvSize + key.size())) {
        OPENSSL_cleanse(key.data(), key.size());
        throw CorruptData("data key \"" + name + "\" does not unwrap (authentication failed)");
    }
    return key;
}

// A section for a passphrase holding master (wrapped), without data keys.
nlohmann::json new_section(const std::string &passphrase, const KdfParams &kdf,
                           const Key256 &master) {
    if (passphrase.empty())
        throw Error("the repository passphrase must not be empty");
    uint8_t salt[kSaltSize];
    random_bytes(salt, sizeof(salt));
    Key256 check;
    ScopedKey wrap_key;
    wrap_key.k = derive(passphrase, salt, kdf, check);
    return {{"format", kFormat},
            {"algorithm", "aes-256-gcm"},
            {"kdf",
             {{"name", kdf.name},
              {"salt", to_hex(salt, sizeof(salt))},
              {"N", kdf.N},
              {"r", kdf.r},
              {"p", kdf.p}}},
            {"key_check", to_hex(check.data(), check.size())},
            {"master_key", seal_key(wrap_key.k, kMasterName, master)},
            {"keys", nlohmann::json::object()}};
}

} // namespace

std::string read_passphrase_file(const std::string &path) {
    const std::string what = "passphrase file \"" + path + "\"";
    posix::Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd.valid())
        throw_errno("could not open " + what);
    struct stat st;
    if (::fstat(fd.get(), &st) != 0)
        throw_errno("could not stat " + what);
    if (!S_ISREG(st.st_mode))
        throw Error(what + " is not a regular file");
    if (st.st_mode & 077) {
        char mode[8];
        std::snprintf(mode, sizeof(mode), "%04o", unsigned(st.st_mode & 07777));
        throw Error(what + " is accessible by group or others (mode " + mode +
                    "); restrict it with chmod 600");
    }
    std::string s(64 * 1024 + 1, '\0');
    s.resize(posix::read_full(fd.get(), s.data(), s.size(), path));
    if (s.size() > 64 * 1024)
        throw Error(what + " is larger than 64 KiB");
    if (!s.empty() && s.back() == '\n')
        s.pop_back();
    if (s.empty())
        throw Error(what + " holds an empty passphrase");
    return s;
}

nlohmann::json keyring_create(const std::string &passphrase, const KdfParams &kdf) {
    ScopedKey master, wal;
    master.k = random_data_key();
    wal.k = random_data_key();
    nlohmann::json section = new_section(passphrase, kdf, master.k);
    section["keys"]["wal"] = seal_key(master.k, "wal", wal.k);
    return section;
}

Key256 random_data_key() {
    Key256 key;
    random_bytes(key.data(), key.size());
    return key;
}

Keyring::Keyring(const nlohmann::json &section, const std::string &passphrase) : section_(section) {
    uint8_t salt[kSaltSize];
    Key256 want, check;
    KdfParams kdf;
    std::string master_hex;
    try {
        if (section.at("algorithm").get<std::string>() != "aes-256-gcm")
            throw Error("repository cipher section has an unsupported algorithm");
        int format = section.at("format").get<int>();
        if (format == 1)
            throw Error("repository cipher section has format 1, written by a development "
                        "build of pg_safekeep; create the repository anew");
        if (format != kFormat)
            throw Error("repository cipher section has unsupported format " +
                        std::to_string(format));
        const nlohmann::json &k = section.at("kdf");
        kdf.name = k.at("name").get<std::string>();
        kdf.N = k.at("N").get<uint64_t>();
        kdf.r = k.at("r").get<uint32_t>();
        kdf.p = k.at("p").get<uint32_t>();
        from_hex(k.at("salt").get<std::string>(), salt, sizeof(salt), section_field("kdf.salt"));
        from_hex(section.at("key_check").get<std::string>(), want.data(), want.size(),
                 section_field("key_check"));
        master_hex = section.at("master_key").get<std::string>();
        if (!section.at("keys").is_object())
            throw Error("repository cipher section is invalid: \"keys\" is not an object");
    } catch (const nlohmann::json::exception &e) {
        throw Error(std::string("repository cipher section is invalid: ") + e.what());
    }
    ScopedKey wrap_key;
    wrap_key.k = derive(passphrase, salt, kdf, check);
    if (CRYPTO_memcmp(check.data(), want.data(), check.size()) != 0)
        throw Error("wrong passphrase for repository (key check failed)");
    master_ = open_key(wrap_key.k, kMasterName, master_hex, section_field("master_key"));
}

Keyring::~Keyring() {
    OPENSSL_cleanse(master_.data(), master_.size());
}

bool Keyring::has(const std::string &name) const {
    return section_["keys"].contains(name);
}

Key256 Keyring::data_key(const std::string &name) const {
    auto it = section_["keys"].find(name);
    if (it == section_["keys"].end())
        throw NotFound("no data key \"" + name + "\" in the repository keyring");
    if (!it->is_string())
        throw Error("repository cipher section is invalid: \"keys." + name + "\" is not a string");
    return open_key(master_, name, it->get<std::string>(), section_field("keys." + name));
}

std::string Keyring::wrap(const std::string &name, const Key256 &key) const {
    if (name.empty())
        throw Error("a data key needs a name");
    return seal_key(master_, name, key);
}

Key256 Keyring::unwrap(const std::string &name, const std::string &wrapped) const {
    return open_key(master_, name, wrapped, "wrapped data key \"" + name + "\"");
}

nlohmann::json Keyring::rekey(const std::string &new_passphrase, const KdfParams &kdf) const {
    nlohmann::json out = new_section(new_passphrase, kdf, master_);
    out["keys"] = section_["keys"];
    return out;
}

} // namespace safekeep
