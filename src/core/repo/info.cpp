#include "repo/info.h"

#include "format/wal_name.h"
#include "repo/layout.h"

namespace safekeep {

RepoInfo read_repo_info(const Config &cfg) {
    RepoLayout repo = RepoLayout::for_read(cfg, true);
    RepoInfo info;
    info.stanza = repo.stanza();
    info.location = repo.store().url("");
    info.backups = list_backups(repo, &info.damaged);
    info.expired_labels = list_expired_labels(repo);
    for (auto &e : list_logical_backups(repo)) {
        std::string url = repo.store().url(e.manifest_key);
        info.logical.push_back({std::move(e), std::move(url)});
    }
    info.wal = list_wal_objects(repo);
    for (const auto &w : info.wal) {
        if (classify_wal_name(w.name) != WalKind::Segment)
            continue;
        if (info.archive.segments == 0)
            info.archive.min = w.name;
        info.archive.max = w.name;
        info.archive.segments++;
    }
    return info;
}

} // namespace safekeep
