#include "repo/catalog.h"

#include "io/sha256.h"
#include "repo/label.h"
#include "storage/posix.h"

#include <algorithm>

namespace safekeep {

std::vector<BackupEntry> list_backups(const RepoLayout &repo) {
    std::vector<BackupEntry> out;
    if (repo.stanza().empty())
        return out;
    for (const auto &e : posix::list_dir_if_exists(repo.backup_root())) {
        if (!is_valid_label(e.name))
            continue;
        std::string mpath = repo.manifest_path(e.name);
        if (!posix::exists(mpath))
            continue; // no manifest: the backup never completed
        std::string text = posix::read_file(mpath);
        BackupEntry b;
        b.label = e.name;
        b.manifest_path = mpath;
        b.manifest_sha256 = sha256_hex(text.data(), text.size());
        b.manifest = Manifest::from_json(text, mpath);
        out.push_back(std::move(b));
    }
    std::sort(out.begin(), out.end(),
              [](const BackupEntry &a, const BackupEntry &b) { return a.label < b.label; });
    return out;
}

} // namespace safekeep
