#include "repo/catalog.h"

#include "io/sha256.h"
#include "repo/label.h"
#include "repo/manifest_scan.h"
#include "util/error.h"

#include <algorithm>

namespace safekeep {

std::vector<std::string> list_expired_labels(const RepoLayout &repo) {
    std::vector<std::string> out;
    if (repo.stanza().empty())
        return out;
    for (const auto &name : repo.store().children(repo.expired_root_key()))
        if (is_valid_label(name))
            out.push_back(name);
    std::sort(out.begin(), out.end());
    return out;
}

std::vector<BackupEntry> list_backups(const RepoLayout &repo, std::vector<DamagedBackup> *damaged) {
    std::vector<BackupEntry> out;
    if (repo.stanza().empty())
        return out;
    Storage &store = repo.store();
    for (const auto &m : read_manifests(store, repo.backup_root_key(), is_valid_label)) {
        BackupEntry b;
        b.label = m.label;
        b.manifest_path = store.url(m.key);
        b.manifest_sha256 = sha256_hex(m.text.data(), m.text.size());
        try {
            b.manifest = Manifest::from_json(m.text, b.manifest_path);
            if (b.manifest.label != b.label)
                throw Error("manifest \"" + b.manifest_path + "\" names backup \"" +
                            b.manifest.label + "\"");
        } catch (const Error &e) { // from_json turns every parse failure into one
            if (damaged)
                damaged->push_back({b.label, b.manifest_path, e.what()});
            continue;
        }
        out.push_back(std::move(b));
    }
    return out;
}

} // namespace safekeep
