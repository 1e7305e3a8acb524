#include "repo/layout.h"

#include "storage/posix.h"
#include "util/error.h"

#include <algorithm>
#include <cerrno>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>

namespace safekeep {

void check_repo_root(const std::string &path) {
    if (path.empty())
        throw Error("repository path is not set");
    struct stat st;
    if (::stat(path.c_str(), &st) != 0) {
        if (errno == ENOENT)
            throw Error("repository path \"" + path + "\" does not exist");
        throw_errno("could not stat repository path \"" + path + "\"");
    }
    if (!S_ISDIR(st.st_mode))
        throw Error("repository path \"" + path + "\" is not a directory");
    if (::access(path.c_str(), W_OK | X_OK) != 0)
        throw Error("repository path \"" + path + "\" is not writable");
}

static void check_stanza_name(const std::string &s) {
    if (s.empty() || s == "." || s == ".." || s.find('/') != std::string::npos)
        throw Error("invalid stanza name \"" + s + "\"");
}

RepoLayout RepoLayout::for_write(const Config &cfg, uint64_t system_id) {
    check_repo_root(cfg.repo_root);
    RepoLayout l;
    l.root_ = cfg.repo_root;
    l.stanza_ = cfg.stanza.empty() ? std::to_string(system_id) : cfg.stanza;
    check_stanza_name(l.stanza_);
    return l;
}

RepoLayout RepoLayout::for_read(const Config &cfg, bool allow_none) {
    check_repo_root(cfg.repo_root);
    RepoLayout l;
    l.root_ = cfg.repo_root;
    if (!cfg.stanza.empty()) {
        check_stanza_name(cfg.stanza);
        l.stanza_ = cfg.stanza;
        return l;
    }
    std::vector<std::string> stanzas;
    for (const auto &e : posix::list_dir(cfg.repo_root)) {
        if (e.name[0] == '.')
            continue;
        if (posix::is_dir(posix::join(cfg.repo_root, e.name)))
            stanzas.push_back(e.name);
    }
    std::sort(stanzas.begin(), stanzas.end());
    if (stanzas.size() == 1) {
        l.stanza_ = stanzas[0];
        return l;
    }
    if (stanzas.empty()) {
        if (allow_none)
            return l;
        throw NotFound("repository \"" + cfg.repo_root + "\" contains no stanza");
    }
    std::string list;
    for (const auto &s : stanzas)
        list += (list.empty() ? "" : ", ") + s;
    throw Error("repository \"" + cfg.repo_root + "\" contains several stanzas (" + list +
                "); choose one with --stanza");
}

std::string RepoLayout::stanza_dir() const {
    return posix::join(root_, stanza_);
}
std::string RepoLayout::repo_json() const {
    return posix::join(stanza_dir(), "repo.json");
}
std::string RepoLayout::backup_root() const {
    return posix::join(stanza_dir(), "backup");
}
std::string RepoLayout::backup_dir(const std::string &label) const {
    return posix::join(backup_root(), label);
}
std::string RepoLayout::manifest_path(const std::string &label) const {
    return posix::join(backup_dir(label), "manifest.json");
}
std::string RepoLayout::archive_root() const {
    return posix::join(stanza_dir(), "archive");
}

} // namespace safekeep
