#include "repo/repo_json.h"

#include "util/error.h"

#include <nlohmann/json.hpp>

namespace safekeep {

void ensure_repo_json(const RepoLayout &repo, uint64_t system_id, int pg_version) {
    Storage &store = repo.store();
    const std::string key = repo.repo_json_key();
    const std::string sysid = std::to_string(system_id);
    if (store.exists(key)) {
        nlohmann::json j;
        try {
            j = nlohmann::json::parse(store.read(key));
        } catch (const nlohmann::json::exception &e) {
            throw Error("repository file \"" + store.url(key) +
                        "\" is not valid JSON: " + e.what());
        }
        std::string have = j.value("system_id", std::string());
        if (have != sysid)
            throw Error("repository stanza \"" + repo.where() + "\" belongs to system id " + have +
                        ", not to this cluster (system id " + sysid + ")");
        return;
    }
    nlohmann::json j = {
        {"format", 1}, {"pg_version", pg_version}, {"system_id", sysid}, {"cipher", "none"}};
    std::string text = j.dump(2) + "\n";
    store.write(key, text.data(), text.size());
}

} // namespace safekeep
