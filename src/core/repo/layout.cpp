#include "repo/layout.h"

#include "os/files.h"
#include "repo/keyring.h"
#include "repo/manifest_scan.h"
#include "repo/passphrase_key_scope.h"
#include "storage/encrypted_storage.h"
#include "storage/fanout_storage.h"
#include "storage/posix_storage.h"
#include "storage/s3_storage.h"

#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include "util/error.h"

#include <algorithm>
#include <cerrno>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>

namespace safekeep {

void check_repo_root(const std::string &path) {
    if (path.empty())
        throw Error("repository path is not set");
    struct stat st;
    if (::stat(path.c_str(), &st) != 0) {
        if (errno == ENOENT)
            throw Error("repository path \"" + path + "\" does not exist");
        throw_errno("could not stat repository path \"" + path + "\"");
    }
    if (!S_ISDIR(st.st_mode))
        throw Error("repository path \"" + path + "\" is not a directory");
    if (::access(path.c_str(), W_OK | X_OK) != 0)
        throw Error("repository path \"" + path + "\" is not writable");
}

namespace {

// S3's classes (STANDARD_IA, GLACIER_IR, ...) and radosgw's placement
// classes are upper-case names; anything else is a typo S3 would only
// refuse at the first upload.
std::string checked_storage_class(const std::string &repo, const std::string &value) {
    bool ok = value.size() <= 64;
    for (char c : value)
        ok = ok && ((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_');
    if (!ok)
        throw Error(repo +
                    "_s3_storage_class must be an S3 storage class such as STANDARD_IA "
                    "(upper-case letters, digits, _), not \"" +
                    value + "\"");
    return value;
}

s3::Settings s3_settings(const RepoSpec &r) {
    const std::string name = "repo" + std::to_string(r.number);
    if (r.s3.endpoint.empty() || r.s3.bucket.empty())
        throw Error(name + " is an s3 repository but its s3_endpoint or s3_bucket is not set");
    if (r.s3.credentials_file.empty())
        throw Error(name + " is an s3 repository but its s3_credentials_file is not set");
    if (r.s3.uri_style != "path" && r.s3.uri_style != "host")
        throw Error(name + "_s3_uri_style must be path or host, not \"" + r.s3.uri_style + "\"");
    s3::Settings s;
    s.endpoint = r.s3.endpoint;
    s.bucket = r.s3.bucket;
    if (!r.s3.region.empty())
        s.region = r.s3.region;
    s.prefix = r.s3.prefix;
    while (!s.prefix.empty() && s.prefix.front() == '/')
        s.prefix.erase(0, 1);
    while (!s.prefix.empty() && s.prefix.back() == '/')
        s.prefix.pop_back();
    s.path_style = r.s3.uri_style != "host";
    s.verify_tls = r.s3.verify_tls;
    s.ca_file = r.s3.ca_file;
    s.storage_class = checked_storage_class(name, r.s3.storage_class);
    if (r.s3.part_size > 0)
        s.part_size = r.s3.part_size;
    s.credentials = s3::load_credentials(r.s3.credentials_file,
                                         r.s3.profile.empty() ? "default" : r.s3.profile);
    return s;
}

void check_stanza_name(const std::string &s) {
    if (s.empty() || s == "." || s == ".." || s.find('/') != std::string::npos)
        throw Error("invalid stanza name \"" + s + "\"");
}

// A wrong passphrase, or a cipher setting that does not match the
// repository, fails here: before anything is written.
void check_cipher(const RepoLayout &l) {
    if (l.stanza().empty())
        return;
    Storage &store = l.store();
    std::string text;
    try {
        // Encrypted: the keyring reads repo.json once and is kept.
        if (auto *enc = dynamic_cast<EncryptedStorage *>(&store)) {
            enc->unlock(l.stanza());
            return;
        }
        text = store.read(l.repo_json_key());
    } catch (const NotFound &) {
        return; // created on first write, with the configured cipher
    }
    nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
    if (j.is_object() && j.contains("cipher") && j["cipher"].is_object())
        throw Error("repository \"" + l.where() +
                    "\" is encrypted: set its cipher (aes-256-gcm) and cipher_passphrase_file");
}

} // namespace

std::vector<RepoSpec> readable_repos(const Config &cfg) {
    std::vector<RepoSpec> repos = cfg.effective_repos();
    if (cfg.read_repo != 0) {
        for (const auto &r : repos)
            if (r.number == cfg.read_repo)
                return {r};
        throw Error("repository " + std::to_string(cfg.read_repo) + " is not configured");
    }
    if (repos.empty())
        throw Error("no repository is configured");
    return repos;
}

namespace {

// Opened repositories are kept for the life of the process: the archiver
// pushes every segment through the same S3 connections and unlocked keys
// instead of paying a TLS handshake and a scrypt derivation per segment.
std::string spec_identity(const RepoSpec &r) {
    const S3Spec &s = r.s3;
    return r.type + '\n' + r.path + '\n' + s.endpoint + '\n' + s.bucket + '\n' + s.region + '\n' +
           s.prefix + '\n' + s.uri_style + '\n' + (s.verify_tls ? "1" : "0") + '\n' + s.ca_file +
           '\n' + std::to_string(s.part_size) + '\n' + s.credentials_file + '\n' + s.profile +
           '\n' + r.cipher + '\n' + r.passphrase_file;
}

std::shared_ptr<Storage> open_repo_uncached(const RepoSpec &r) {
    std::shared_ptr<Storage> store;
    if (r.type == "posix" || r.type.empty()) {
        check_repo_root(r.path);
        store = std::make_shared<PosixStorage>(r.path);
    } else if (r.type == "s3") {
        store = std::make_shared<S3Storage>(s3_settings(r));
    } else {
        throw Error("repo" + std::to_string(r.number) + "_type must be posix or s3, not \"" +
                    r.type + "\"");
    }
    if (r.cipher == "aes-256-gcm") {
        if (r.passphrase_file.empty())
            throw Error("repo" + std::to_string(r.number) +
                        " is encrypted but its cipher_passphrase_file is not set");
        read_passphrase_file(r.passphrase_file); // a bad file fails now, naming it
        store = std::make_shared<EncryptedStorage>(
            store, std::make_shared<PassphraseKeyScope>(r.passphrase_file));
    } else if (!r.cipher.empty() && r.cipher != "none") {
        throw Error("repo" + std::to_string(r.number) +
                    "_cipher must be none or aes-256-gcm, not \"" + r.cipher + "\"");
    }
    return store;
}

} // namespace

std::shared_ptr<Storage> open_repo(const RepoSpec &r) {
    static std::mutex mu;
    static std::map<std::string, std::shared_ptr<Storage>> cache;
    if (r.type == "posix" || r.type.empty())
        check_repo_root(r.path); // a directory that went away is an error every time
    const std::string id = spec_identity(r);
    std::lock_guard<std::mutex> g(mu);
    auto it = cache.find(id);
    if (it != cache.end())
        return it->second;
    std::shared_ptr<Storage> store = open_repo_uncached(r);
    cache[id] = store;
    return store;
}

RepoLayout::RepoLayout(std::shared_ptr<Storage> store, std::string stanza)
    : store_(std::move(store)), stanza_(std::move(stanza)) {}

RepoLayout RepoLayout::for_repo_write(const Config &cfg, const RepoSpec &repo, uint64_t system_id) {
    RepoLayout l(open_repo(repo), cfg.stanza.empty() ? std::to_string(system_id) : cfg.stanza);
    check_stanza_name(l.stanza_);
    check_cipher(l);
    return l;
}

RepoLayout RepoLayout::for_write(const Config &cfg, uint64_t system_id) {
    std::vector<RepoSpec> repos = cfg.effective_repos();
    if (repos.empty())
        throw Error("no repository is configured");
    if (repos.size() == 1)
        return for_repo_write(cfg, repos.front(), system_id);
    // Incomplete settings fail the backup (nothing is written). A repository
    // that cannot be reached (down, wrong passphrase) is dropped and its
    // error kept: the backup lands in the others, recorded partial.
    std::vector<FanoutStorage::Member> members;
    const std::string stanza = cfg.stanza.empty() ? std::to_string(system_id) : cfg.stanza;
    check_stanza_name(stanza);
    for (const auto &r : repos) {
        const std::string kind = r.type.empty() ? "posix" : r.type;
        std::shared_ptr<Storage> store = open_repo(r);
        try {
            check_cipher(RepoLayout(store, stanza));
            members.push_back({r.number, store, "", kind});
        } catch (const Canceled &) {
            throw;
        } catch (const std::exception &e) {
            members.push_back({r.number, nullptr, e.what(), kind});
        }
    }
    return RepoLayout(std::make_shared<FanoutStorage>(std::move(members)), stanza);
}

RepoLayout RepoLayout::for_read(const Config &cfg, bool allow_none) {
    return for_repo_read(cfg, readable_repos(cfg).front(), allow_none);
}

RepoLayout RepoLayout::for_repo_read(const Config &cfg, const RepoSpec &repo, bool allow_none) {
    RepoLayout l(open_repo(repo), "");
    if (!cfg.stanza.empty()) {
        check_stanza_name(cfg.stanza);
        l.stanza_ = cfg.stanza;
        check_cipher(l);
        return l;
    }
    // A stanza is a top-level name holding a repo.json.
    std::vector<std::string> stanzas;
    for (const auto &name : l.store_->children("")) {
        if (name[0] == '.')
            continue;
        if (l.store_->exists(key_join(name, "repo.json")))
            stanzas.push_back(name);
    }
    const std::string where = l.store_->url("");
    if (stanzas.size() == 1) {
        l.stanza_ = stanzas[0];
        check_cipher(l);
        return l;
    }
    if (stanzas.empty()) {
        if (allow_none)
            return l;
        throw NotFound("repository \"" + where + "\" contains no stanza");
    }
    std::string list;
    for (const auto &s : stanzas)
        list += (list.empty() ? "" : ", ") + s;
    throw Error("repository \"" + where + "\" contains several stanzas (" + list +
                "); choose one with --stanza");
}

std::string RepoLayout::where() const {
    return store_->url(stanza_);
}
std::string RepoLayout::repo_json_key() const {
    return key_join(stanza_, "repo.json");
}
std::string RepoLayout::backup_root_key() const {
    return key_join(stanza_, "backup");
}
std::string RepoLayout::backup_key(const std::string &label) const {
    return key_join(backup_root_key(), label);
}
std::string RepoLayout::manifest_key(const std::string &label) const {
    return key_join(backup_key(label), kManifestName);
}
std::string RepoLayout::expired_root_key() const {
    return key_join(stanza_, "expired");
}
std::string RepoLayout::expired_key(const std::string &label) const {
    return key_join(expired_root_key(), label);
}
std::string RepoLayout::archive_key() const {
    return key_join(stanza_, "archive");
}
std::string RepoLayout::logical_key() const {
    return key_join(stanza_, "logical");
}

} // namespace safekeep
