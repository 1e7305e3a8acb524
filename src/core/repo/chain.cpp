#include "repo/chain.h"

#include "util/error.h"

namespace safekeep {

BackupChain::BackupChain(const RepoLayout &repo, const std::vector<BackupEntry> &backups,
                         const BackupEntry &target)
    : repo_(repo), target_(&target) {
    members_[target.label] = &target.manifest;
    for (const auto &dep : target.manifest.dependencies()) {
        const BackupEntry *found = nullptr;
        for (const auto &b : backups)
            if (b.label == dep)
                found = &b;
        if (!found)
            throw NotFound("backup " + target.label + " depends on backup " + dep +
                           ", which is not in repository \"" + repo.where() + "\"");
        members_[dep] = &found->manifest;
    }
}

const Manifest &BackupChain::get(const std::string &label) const {
    auto it = members_.find(label);
    if (it == members_.end())
        throw Error("backup " + label + " is not part of the chain of backup " + target_->label);
    return *it->second;
}

const ManifestFile &holder_entry(const BackupChain &chain, const std::string &label,
                                 const std::string &path, const std::string &needed_by) {
    const ManifestFile *h = chain.get(label).find(path);
    if (!h || h->object.empty())
        throw Error("backup " + needed_by + " takes file \"" + path + "\" from backup " + label +
                    ", which does not store it");
    return *h;
}

} // namespace safekeep
