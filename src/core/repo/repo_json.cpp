#include "repo/repo_json.h"

#include "storage/encrypted_storage.h"
#include "storage/fanout_storage.h"
#include "util/error.h"

#include <mutex>
#include <nlohmann/json.hpp>

namespace safekeep {

namespace {

// The archiver pushes several segments at once (wal/push_ahead): without
// this, two of its threads could both find no repo.json and each write one
// with its own keys, and the segments encrypted under the overwritten one
// would never decrypt again. Creation is one thread at a time per process.
std::mutex creation_mutex;

// Reads key; NotFound becomes false.
bool read_if_there(Storage &store, const std::string &key, std::string &text) {
    try {
        text = store.read(key);
        return true;
    } catch (const NotFound &) {
        return false;
    }
}

// An existing repo.json must be this cluster's.
void check_existing(const Storage &store, const std::string &key, const std::string &where,
                    const std::string &text, const std::string &sysid) {
    nlohmann::json j;
    try {
        j = nlohmann::json::parse(text);
    } catch (const nlohmann::json::exception &e) {
        throw Error("repository file \"" + store.url(key) + "\" is not valid JSON: " + e.what());
    }
    std::string have = j.value("system_id", std::string());
    if (have != sysid)
        throw Error("repository stanza \"" + where + "\" belongs to system id " + have +
                    ", not to this cluster (system id " + sysid + ")");
}

void ensure_one(Storage &store, const std::string &key, const std::string &where,
                uint64_t system_id, int pg_version) {
    const std::string sysid = std::to_string(system_id);
    // One read, no existence check first: on S3 every request is a round trip,
    // and this runs for every archived segment.
    std::string text;
    bool found = read_if_there(store, key, text);
    std::unique_lock<std::mutex> creating(creation_mutex, std::defer_lock);
    if (!found) {
        creating.lock();
        found = read_if_there(store, key, text); // another thread may have made it
    }
    if (found) {
        check_existing(store, key, where, text, sysid);
        return;
    }
    nlohmann::json j = {
        {"format", 1}, {"pg_version", pg_version}, {"system_id", sysid}, {"cipher", "none"}};
    // An encrypted repository gets a fresh "cipher" section: salt, key check, WAL key.
    if (auto *enc = dynamic_cast<EncryptedStorage *>(&store))
        j["cipher"] = enc->new_cipher_section();
    text = j.dump(2) + "\n";
    // Another process (a backup job beside the archiver) may be creating it
    // at the same moment, each with its own keys. The create is exclusive:
    // the loser uses the winner's (nothing was encrypted under its own yet).
    if (!store.write_if_absent(key, text.data(), text.size())) {
        std::string theirs;
        if (!read_if_there(store, key, theirs))
            throw Error("repository file \"" + store.url(key) +
                        "\" was created by another process and is gone again");
        check_existing(store, key, where, theirs, sysid);
        return;
    }
    // A store that could not make the create exclusive (an S3 server that
    // ignores If-None-Match) may have let another copy replace ours: only the
    // copy stored may be used, so that is an error the caller retries.
    std::string stored;
    if (!read_if_there(store, key, stored) || stored != text)
        throw Error("repository file \"" + store.url(key) +
                    "\" was created by another process at the same moment; try again");
}

} // namespace

void ensure_repo_json(const RepoLayout &repo, uint64_t system_id, int pg_version) {
    const std::string key = repo.repo_json_key();
    // Each repository of a fan-out has its own (its own salt and keys).
    // One that fails is dropped from the fan-out, not the backup's end.
    if (auto *fan = dynamic_cast<FanoutStorage *>(&repo.store())) {
        std::vector<FanoutStorage::Member> members = fan->members();
        for (size_t i = 0; i < members.size(); i++) {
            if (!fan->live(i))
                continue;
            const FanoutStorage::Member &m = members[i];
            try {
                ensure_one(*m.store, key, m.store->url(repo.stanza()), system_id, pg_version);
            } catch (const Canceled &) {
                throw;
            } catch (const std::exception &e) {
                fan->drop(i, e.what()); // throws when none is left
            }
        }
        return;
    }
    ensure_one(repo.store(), key, repo.where(), system_id, pg_version);
}

} // namespace safekeep
