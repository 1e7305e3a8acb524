#include "repo/sweep.h"

#include "repo/logical_list.h"
#include "repo/label.h"
#include "repo/manifest_scan.h"

#include <exception>
#include <functional>

namespace safekeep {

namespace {

void sweep_root(const RepoLayout &repo, int number, const std::string &kind,
                const std::string &root, const std::function<bool(const std::string &)> &is_label,
                const SweepOptions &opts, SweepOutcome &out) {
    Storage &store = repo.store();
    std::vector<std::string> names;
    try {
        names = store.children(root);
    } catch (const std::exception &e) {
        out.errors.push_back("could not list \"" + store.url(root) + "\": " + e.what());
        return;
    }
    for (const auto &name : names) {
        if (!is_label(name) || opts.spare.count(name))
            continue;
        const std::string dir = key_join(root, name);
        try {
            // Present means a backup, damaged or not: never garbage.
            if (store.exists(key_join(dir, kManifestName)))
                continue;
            Leftover l{number, kind, name, store.url(dir), false};
            l.expired = kind == "backup" && store.exists(repo.expired_key(name));
            // Logical backups leave no expired note (their expire is one
            // step per backup), so only physical ones are kept this way.
            if (kind == "backup" && opts.completed.count(name) && !l.expired)
                continue;
            store.remove_tree(dir);
            out.removed.push_back(std::move(l));
        } catch (const std::exception &e) {
            out.errors.push_back("could not remove leftover \"" + store.url(dir) +
                                 "\": " + e.what());
        }
    }
}

} // namespace

void sweep_layout(const RepoLayout &repo, int number, const SweepOptions &opts, SweepOutcome &out) {
    if (repo.stanza().empty())
        return; // nothing was ever written there
    if (opts.physical)
        sweep_root(repo, number, "backup", repo.backup_root_key(), is_valid_label, opts, out);
    if (opts.logical)
        sweep_root(repo, number, "logical", repo.logical_key(), is_logical_label, opts, out);
}

SweepOutcome sweep_leftovers(const Config &cfg, const SweepOptions &opts) {
    SweepOutcome out;
    for (const auto &spec : cfg.effective_repos()) {
        try {
            sweep_layout(RepoLayout::for_repo_read(cfg, spec, true), spec.number, opts, out);
        } catch (const std::exception &e) {
            out.errors.push_back("repo" + std::to_string(spec.number) + ": " + e.what());
        }
    }
    return out;
}

} // namespace safekeep
