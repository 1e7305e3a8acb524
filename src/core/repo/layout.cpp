#include "repo/layout.h"

#include "storage/posix.h"
#include "storage/posix_storage.h"
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

std::shared_ptr<Storage> open_storage(const Config &cfg) {
    check_repo_root(cfg.repo_root);
    return std::make_shared<PosixStorage>(cfg.repo_root);
}

RepoLayout::RepoLayout(std::shared_ptr<Storage> store, std::string stanza)
    : store_(std::move(store)), stanza_(std::move(stanza)) {}

RepoLayout RepoLayout::for_write(const Config &cfg, uint64_t system_id) {
    RepoLayout l(open_storage(cfg), cfg.stanza.empty() ? std::to_string(system_id) : cfg.stanza);
    check_stanza_name(l.stanza_);
    return l;
}

RepoLayout RepoLayout::for_read(const Config &cfg, bool allow_none) {
    RepoLayout l(open_storage(cfg), "");
    if (!cfg.stanza.empty()) {
        check_stanza_name(cfg.stanza);
        l.stanza_ = cfg.stanza;
        return l;
    }
    // A stanza is a top-level name holding a repo.json.
    std::vector<std::string> stanzas;
    for (const auto &name : l.store_->children("")) {
        if (name[0] == '.')
            continue;
        if (l.store_->exists(key_join(name, "repo.json")))
            stanzas.push_back(name);
    }
    const std::string where = l.store_->url("");
    if (stanzas.size() == 1) {
        l.stanza_ = stanzas[0];
        return l;
    }
    if (stanzas.empty()) {
        if (allow_none)
            return l;
        throw NotFound("repository \"" + where + "\" contains no stanza");
    }
    std::string list;
    for (const auto &s : stanzas)
        list += (list.empty() ? "" : ", ") + s;
    throw Error("repository \"" + where + "\" contains several stanzas (" + list +
                "); choose one with --stanza");
}

std::string RepoLayout::where() const {
    return store_->url(stanza_);
}
std::string RepoLayout::repo_json_key() const {
    return key_join(stanza_, "repo.json");
}
std::string RepoLayout::backup_root_key() const {
    return key_join(stanza_, "backup");
}
std::string RepoLayout::backup_key(const std::string &label) const {
    return key_join(backup_root_key(), label);
}
std::string RepoLayout::manifest_key(const std::string &label) const {
    return key_join(backup_key(label), "manifest.json");
}
std::string RepoLayout::archive_key() const {
    return key_join(stanza_, "archive");
}
std::string RepoLayout::logical_key() const {
    return key_join(stanza_, "logical");
}

} // namespace safekeep
