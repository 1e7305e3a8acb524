// Where things live in a repository:
//   <root>/<stanza>/repo.json
//   <root>/<stanza>/backup/<label>/{manifest.json,data/...}
//   <root>/<stanza>/archive/...
#pragma once

#include "repo/config.h"

#include <cstdint>
#include <string>

namespace safekeep {

class RepoLayout {
  public:
    // Checks the root; stanza is cfg.stanza or the system id in decimal.
    static RepoLayout for_write(const Config &cfg, uint64_t system_id);
    // Checks the root; stanza is cfg.stanza or the single stanza directory
    // present. With allow_none, an empty repository gives an empty stanza
    // instead of an error.
    static RepoLayout for_read(const Config &cfg, bool allow_none = false);

    const std::string &root() const { return root_; }
    const std::string &stanza() const { return stanza_; }
    std::string stanza_dir() const;
    std::string repo_json() const;
    std::string backup_root() const;
    std::string backup_dir(const std::string &label) const;
    std::string manifest_path(const std::string &label) const;
    std::string archive_root() const;

  private:
    std::string root_;
    std::string stanza_;
};

// Throws unless path is an existing, writable directory.
void check_repo_root(const std::string &path);

} // namespace safekeep
