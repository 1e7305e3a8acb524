#include "storage/encrypted_storage.h"

#include "io/aes_gcm.h"
#include "util/error.h"

#include <algorithm>

namespace safekeep {

namespace {

// Keeps sink.finish() for the caller: read_to() never finishes its sink.
class NoFinish : public Sink {
  public:
    explicit NoFinish(Sink &next) : next_(next) {}
    void write(const uint8_t *data, size_t len) override { next_.write(data, len); }
    void finish() override {}

  private:
    Sink &next_;
};

class EncryptingWriter : public ObjectWriter {
  public:
    EncryptingWriter(std::unique_ptr<ObjectWriter> inner, const Key256 &key)
        : inner_(std::move(inner)), enc_(key, *inner_) {}
    void write(const uint8_t *data, size_t len) override {
        enc_.write(data, len);
        plain_ += len;
    }
    void finish() override { enc_.finish(); }
    void commit() override { inner_->commit(); }
    // What was written before encryption: manifests record the same stored
    // size for an object in every repository, encrypted or not.
    uint64_t bytes() const override { return plain_; }

  private:
    std::unique_ptr<ObjectWriter> inner_;
    AesGcmEncryptor enc_;
    uint64_t plain_ = 0;
};

std::vector<std::string> split_key(const std::string &key) {
    std::vector<std::string> parts;
    size_t start = 0;
    for (;;) {
        size_t slash = key.find('/', start);
        parts.push_back(key.substr(start, slash - start));
        if (slash == std::string::npos)
            return parts;
        start = slash + 1;
    }
}

} // namespace

EncryptedStorage::EncryptedStorage(std::shared_ptr<Storage> inner,
                                   std::shared_ptr<const KeyScope> keys)
    : ForwardingStorage(std::move(inner)), keys_(std::move(keys)) {}

nlohmann::json EncryptedStorage::new_cipher_section() const {
    return keys_->new_cipher_section();
}

EncryptedStorage::Stanza &EncryptedStorage::stanza_locked(const std::string &stanza) {
    auto it = stanzas_.find(stanza);
    if (it != stanzas_.end())
        return it->second;
    const std::string repo_json = key_join(stanza, "repo.json");
    nlohmann::json j;
    try {
        j = nlohmann::json::parse(inner_->read(repo_json));
    } catch (const nlohmann::json::exception &e) {
        throw Error("repository file \"" + inner_->url(repo_json) +
                    "\" is not valid JSON: " + e.what());
    }
    const nlohmann::json &section = j["cipher"];
    if (!section.is_object())
        throw Error("repository \"" + inner_->url(stanza) +
                    "\" was created without encryption; it cannot be read or written with "
                    "cipher aes-256-gcm");
    Stanza s;
    try {
        s.keyring = keys_->unlock(section);
    } catch (const Error &e) {
        throw Error(std::string(e.what()) + " \"" + inner_->url(stanza) + "\"");
    }
    return stanzas_.emplace(stanza, std::move(s)).first->second;
}

void EncryptedStorage::unlock(const std::string &stanza) {
    std::lock_guard<std::mutex> g(mu_);
    stanza_locked(stanza);
}

Key256 EncryptedStorage::label_key(const StanzaKeys &ring, const std::string &dir,
                                   const std::string &name, bool create) {
    const std::string object = key_join(dir, kDataKeyObject);
    std::string wrapped;
    bool found = true;
    try {
        wrapped = inner_->read(object);
    } catch (const NotFound &) {
        found = false;
    }
    if (found) {
        if (!wrapped.empty() && wrapped.back() == '\n')
            wrapped.pop_back();
        try {
            return ring.unwrap(name, wrapped);
        } catch (const CorruptData &e) {
            throw CorruptData("\"" + inner_->url(object) + "\": " + e.what());
        }
    }
    if (!create)
        throw NotFound("no data key for \"" + inner_->url(dir) + "\": \"" + inner_->url(object) +
                       "\" is missing");
    // A new backup: its key is durable before any object it protects.
    Key256 key = keys_->new_data_key();
    std::string text = ring.wrap(name, key) + "\n";
    inner_->write(object, text.data(), text.size());
    return key;
}

bool EncryptedStorage::key_for(const std::string &key, Key256 &out, bool create) {
    std::vector<std::string> p = split_key(key);
    if (p.size() == 2 && p[1] == "repo.json")
        return false;
    const bool label_dir = p.size() >= 4 && (p[1] == "backup" || p[1] == "logical");
    if (label_dir && p.size() == 4 && p[3] == kDataKeyObject)
        return false; // already wrapped
    if (!label_dir && !(p.size() >= 3 && p[1] == "archive"))
        throw Error("no encryption key belongs to object \"" + inner_->url(key) + "\"");
    // Cached by the directory the key protects: <stanza>/archive or <stanza>/<kind>/<label>.
    const std::string dir = label_dir ? key_join(key_join(p[0], p[1]), p[2]) : key_join(p[0], p[1]);
    std::lock_guard<std::mutex> g(mu_);
    Stanza &s = stanza_locked(p[0]);
    auto cached = s.keys.find(dir);
    if (cached != s.keys.end()) {
        out = cached->second;
        return true;
    }
    out = label_dir ? label_key(*s.keyring, dir, p[2], create) : s.keyring->data_key("wal");
    s.keys[dir] = out;
    return true;
}

std::string EncryptedStorage::read(const std::string &key) {
    std::string data = inner_->read(key);
    Key256 k;
    if (!key_for(key, k, false))
        return data;
    std::vector<uint8_t> plain = aes_gcm_decrypt(k, reinterpret_cast<const uint8_t *>(data.data()),
                                                 data.size(), inner_->url(key));
    return std::string(plain.begin(), plain.end());
}

void EncryptedStorage::read_to(const std::string &key, Sink &sink) {
    Key256 k;
    if (!key_for(key, k, false)) {
        inner_->read_to(key, sink);
        return;
    }
    NoFinish keep(sink);
    AesGcmDecryptor dec(k, keep, inner_->url(key));
    inner_->read_to(key, dec);
    dec.finish();
}

void EncryptedStorage::write(const std::string &key, const void *data, size_t len) {
    Key256 k;
    if (!key_for(key, k, true)) {
        inner_->write(key, data, len);
        return;
    }
    std::vector<uint8_t> sealed = aes_gcm_encrypt(k, static_cast<const uint8_t *>(data), len);
    inner_->write(key, sealed.data(), sealed.size());
}

bool EncryptedStorage::write_if_absent(const std::string &key, const void *data, size_t len) {
    Key256 k;
    if (!key_for(key, k, true))
        return inner_->write_if_absent(key, data, len);
    std::vector<uint8_t> sealed = aes_gcm_encrypt(k, static_cast<const uint8_t *>(data), len);
    return inner_->write_if_absent(key, sealed.data(), sealed.size());
}

uint64_t EncryptedStorage::physical_size(uint64_t logical_size) const {
    // Header, then one tag per chunk; an empty object still has its final chunk.
    uint64_t chunks = std::max<uint64_t>(1, (logical_size + kGcmChunkSize - 1) / kGcmChunkSize);
    return kGcmHeaderSize + logical_size + chunks * kGcmTagSize;
}

std::unique_ptr<ObjectWriter> EncryptedStorage::create(const std::string &key) {
    Key256 k;
    if (!key_for(key, k, true))
        return inner_->create(key);
    return std::make_unique<EncryptingWriter>(inner_->create(key), k);
}

} // namespace safekeep
