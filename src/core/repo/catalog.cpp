#include "repo/catalog.h"

#include "io/sha256.h"
#include "repo/label.h"
#include "util/error.h"

#include <algorithm>

namespace safekeep {

std::vector<BackupEntry> list_backups(const RepoLayout &repo) {
    std::vector<BackupEntry> out;
    if (repo.stanza().empty())
        return out;
    Storage &store = repo.store();
    for (const auto &name : store.children(repo.backup_root_key())) {
        if (!is_valid_label(name))
            continue;
        std::string key = repo.manifest_key(name);
        std::string text;
        try {
            text = store.read(key);
        } catch (const NotFound &) {
            continue; // no manifest: the backup never completed
        }
        BackupEntry b;
        b.label = name;
        b.manifest_path = store.url(key);
        b.manifest_sha256 = sha256_hex(text.data(), text.size());
        b.manifest = Manifest::from_json(text, b.manifest_path);
        out.push_back(std::move(b));
    }
    std::sort(out.begin(), out.end(),
              [](const BackupEntry &a, const BackupEntry &b) { return a.label < b.label; });
    return out;
}

} // namespace safekeep
