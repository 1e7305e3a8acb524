// Where things live in a repository (keys relative to the storage root):
//   <stanza>/repo.json
//   <stanza>/backup/<label>/{manifest.json,data/...}
//   <stanza>/archive/...
//   <stanza>/logical/<label>/...
#pragma once

#include "repo/config.h"
#include "storage/storage.h"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace safekeep {

class RepoLayout {
  public:
    // Every configured repository (several: a fan-out); stanza is cfg.stanza
    // or the system id in decimal. A wrong passphrase fails here.
    static RepoLayout for_write(const Config &cfg, uint64_t system_id);
    // Checks the root; stanza is cfg.stanza or the single stanza present.
    // With allow_none, an empty repository gives an empty stanza instead of
    // an error.
    static RepoLayout for_read(const Config &cfg, bool allow_none = false);
    // One repository, for reading or writing (WAL goes to each one by one).
    static RepoLayout for_repo_read(const Config &cfg, const RepoSpec &repo,
                                    bool allow_none = false);
    static RepoLayout for_repo_write(const Config &cfg, const RepoSpec &repo, uint64_t system_id);
    // A layout over storage that is already open (tests, fan-out).
    RepoLayout(std::shared_ptr<Storage> store, std::string stanza);

    Storage &store() const { return *store_; }
    const std::shared_ptr<Storage> &store_ptr() const { return store_; }
    const std::string &stanza() const { return stanza_; }
    // For messages: where the stanza lives ("/repo/123", "s3://bucket/p/123").
    std::string where() const;

    std::string stanza_key() const { return stanza_; }
    std::string repo_json_key() const;
    std::string backup_root_key() const;
    std::string backup_key(const std::string &label) const;
    std::string manifest_key(const std::string &label) const;
    // expired/<label>: written by retention before it removes the backup, so a
    // backup that is gone can be told from one retention removed.
    std::string expired_root_key() const;
    std::string expired_key(const std::string &label) const;
    std::string archive_key() const;
    std::string logical_key() const;

  private:
    RepoLayout() = default;

    std::shared_ptr<Storage> store_;
    std::string stanza_;
};

// Throws unless path is an existing, writable directory.
void check_repo_root(const std::string &path);

// The storage of one repository (posix or s3, encrypted when it has a cipher).
std::shared_ptr<Storage> open_repo(const RepoSpec &repo);
// The repositories reads may use: cfg.read_repo alone, else all in order.
// Throws when none is configured or read_repo is not.
std::vector<RepoSpec> readable_repos(const Config &cfg);

} // namespace safekeep
