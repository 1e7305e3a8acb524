#include "repo/repo_json.h"

#include "storage/posix.h"
#include "util/error.h"

#include <nlohmann/json.hpp>

namespace safekeep {

void ensure_repo_json(const RepoLayout &repo, uint64_t system_id, int pg_version) {
    const std::string path = repo.repo_json();
    const std::string sysid = std::to_string(system_id);
    if (posix::exists(path)) {
        nlohmann::json j;
        try {
            j = nlohmann::json::parse(posix::read_file(path));
        } catch (const nlohmann::json::exception &e) {
            throw Error("repository file \"" + path + "\" is not valid JSON: " + e.what());
        }
        std::string have = j.value("system_id", std::string());
        if (have != sysid)
            throw Error("repository stanza \"" + repo.stanza_dir() + "\" belongs to system id " +
                        have + ", not to this cluster (system id " + sysid + ")");
        return;
    }
    posix::make_dirs(repo.stanza_dir(), 0750);
    nlohmann::json j = {
        {"format", 1}, {"pg_version", pg_version}, {"system_id", sysid}, {"cipher", "none"}};
    std::string text = j.dump(2) + "\n";
    posix::write_file_atomic(path, text.data(), text.size());
}

} // namespace safekeep
