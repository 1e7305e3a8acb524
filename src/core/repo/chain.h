// The backups one backup's files are read from: itself plus every earlier
// backup its references and block maps name (resolved directly to the backup
// that holds the data, so no intermediate backup is read).
#pragma once

#include "repo/catalog.h"
#include "repo/layout.h"

#include <map>
#include <string>
#include <vector>

namespace safekeep {

class BackupChain {
  public:
    // backups: list_backups(). Throws NotFound naming the missing backup when
    // a dependency of target has no manifest.
    BackupChain(const RepoLayout &repo, const std::vector<BackupEntry> &backups,
                const BackupEntry &target);

    const std::string &label() const { return target_->label; }
    const Manifest &target() const { return target_->manifest; }
    // Throws Error unless label is the target or one of its dependencies.
    const Manifest &get(const std::string &label) const;
    // Key of the backup directory of label.
    std::string dir(const std::string &label) const { return repo_.backup_key(label); }
    const RepoLayout &repo() const { return repo_; }

  private:
    RepoLayout repo_;
    const BackupEntry *target_;
    std::map<std::string, const Manifest *> members_;
};

// The entry of `path` in holder backup `label` that holds an object, checked.
// Throws Error naming both backups when the holder lacks it.
const ManifestFile &holder_entry(const BackupChain &chain, const std::string &label,
                                 const std::string &path, const std::string &needed_by);

} // namespace safekeep
