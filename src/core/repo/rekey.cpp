#include "repo/rekey.h"

#include "repo/keyring.h"
#include "repo/layout.h"
#include "util/error.h"

#include <nlohmann/json.hpp>
#include <vector>

namespace safekeep {

int rekey_repository(const Config &cfg, int repo_number, const std::string &new_passphrase_file) {
    RepoSpec spec;
    bool found = false;
    for (const auto &r : cfg.effective_repos())
        if (r.number == repo_number) {
            spec = r;
            found = true;
        }
    const std::string name = "repository " + std::to_string(repo_number);
    if (!found)
        throw Error(name + " is not configured");
    if (spec.cipher != "aes-256-gcm")
        throw Error(name + " is not encrypted (its cipher is " + spec.cipher + ")");
    const std::string old_pass = read_passphrase_file(spec.passphrase_file);
    const std::string new_pass = read_passphrase_file(new_passphrase_file);
    if (old_pass == new_pass)
        throw Error("the new passphrase is the same as the current one");

    // repo.json is plain: work on the storage under the encryption layer.
    RepoSpec plain = spec;
    plain.cipher = "none";
    std::shared_ptr<Storage> store = open_repo(plain);

    // Unlock every stanza first, so a wrong passphrase changes nothing.
    std::vector<std::pair<std::string, nlohmann::json>> docs;
    for (const auto &stanza : store->children("")) {
        const std::string key = key_join(stanza, "repo.json");
        if (!store->exists(key))
            continue;
        nlohmann::json j = nlohmann::json::parse(store->read(key));
        if (!j["cipher"].is_object())
            throw Error("stanza \"" + store->url(stanza) + "\" of " + name + " is not encrypted");
        Keyring ring(j["cipher"], old_pass);
        j["cipher"] = ring.rekey(new_pass);
        docs.emplace_back(key, std::move(j));
    }
    if (docs.empty())
        throw Error(name + " holds no stanza to rekey");
    for (const auto &d : docs) {
        std::string text = d.second.dump(2) + "\n";
        store->write(d.first, text.data(), text.size());
    }
    return static_cast<int>(docs.size());
}

} // namespace safekeep
