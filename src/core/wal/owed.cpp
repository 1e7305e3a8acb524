#include "wal/owed.h"

#include "format/wal_name.h"
#include "os/files.h"
#include "repo/repo_json.h"
#include "util/error.h"
#include "wal/archive.h"

#include <algorithm>
#include <map>
#include <memory>
#include <unistd.h>

namespace safekeep {

namespace {

std::string owed_root(const std::string &state_dir) {
    return posix::join(state_dir, "owed_wal");
}

std::string owed_dir(const std::string &state_dir, int repo) {
    return posix::join(owed_root(state_dir), "repo" + std::to_string(repo));
}

// Copies wal_name from a repository other than target that has it.
void copy_owed(const Config &cfg, const RepoLayout &to, int target, const std::string &wal_name,
               uint64_t system_id) {
    std::string last_error = "no other repository holds it";
    for (const auto &spec : cfg.effective_repos()) {
        if (spec.number == target)
            continue;
        try {
            RepoLayout from = RepoLayout::for_repo_write(cfg, spec, system_id);
            std::vector<std::string> objects = find_wal_objects(from, wal_name);
            if (objects.empty())
                continue;
            std::string name, sha;
            parse_wal_object_name(key_basename(objects.front()), name, sha);
            // Read through the source's key, written under the target's.
            std::string packed = from.store().read(objects.front());
            store_wal_object(to, wal_name, sha, packed.data(), packed.size());
            return;
        } catch (const Canceled &) {
            throw;
        } catch (const std::exception &e) {
            last_error = "repository " + std::to_string(spec.number) + ": " + e.what();
        }
    }
    throw Error("WAL file " + wal_name + " owed to repository " + std::to_string(target) +
                " could not be copied: " + last_error);
}

} // namespace

void record_owed_wal(const std::string &state_dir, int repo, const std::string &wal_name) {
    if (state_dir.empty())
        throw Error("WAL file " + wal_name + " missed repository " + std::to_string(repo) +
                    " and there is no state directory to remember that in");
    const std::string dir = owed_dir(state_dir, repo);
    posix::make_dirs(dir, 0700);
    posix::write_file_atomic(posix::join(dir, wal_name), "", 0);
}

std::vector<OwedWal> list_owed_wal(const std::string &state_dir) {
    std::vector<OwedWal> out;
    if (state_dir.empty())
        return out;
    for (const auto &d : posix::list_dir_if_exists(owed_root(state_dir))) {
        if (d.name.size() < 5 || d.name.compare(0, 4, "repo") != 0)
            continue;
        int repo = std::atoi(d.name.c_str() + 4);
        for (const auto &f : posix::list_dir_if_exists(owed_dir(state_dir, repo)))
            if (classify_wal_name(f.name) != WalKind::Invalid)
                out.push_back({repo, f.name});
    }
    std::sort(out.begin(), out.end(), [](const OwedWal &a, const OwedWal &b) {
        return a.repo != b.repo ? a.repo < b.repo : a.wal_name < b.wal_name;
    });
    return out;
}

CatchUpResult wal_catch_up(const Config &cfg, uint64_t system_id, int pg_version) {
    CatchUpResult r;
    const std::vector<RepoSpec> repos = cfg.effective_repos();
    // Each owed repository is opened once a pass; one still down keeps all
    // its markers until the next pass.
    std::map<int, std::unique_ptr<RepoLayout>> targets;
    auto fail = [&](const std::string &why) {
        r.still_owed++;
        if (r.error.empty())
            r.error = why;
    };
    for (const auto &owed : list_owed_wal(cfg.state_dir)) {
        const std::string marker = posix::join(owed_dir(cfg.state_dir, owed.repo), owed.wal_name);
        auto spec = std::find_if(repos.begin(), repos.end(),
                                 [&](const RepoSpec &s) { return s.number == owed.repo; });
        if (spec == repos.end()) {
            ::unlink(marker.c_str()); // no longer configured: nothing is owed to it
            continue;
        }
        if (!targets.count(owed.repo)) {
            try {
                auto to =
                    std::make_unique<RepoLayout>(RepoLayout::for_repo_write(cfg, *spec, system_id));
                ensure_repo_json(*to, system_id, pg_version);
                targets[owed.repo] = std::move(to);
            } catch (const Canceled &) {
                throw;
            } catch (const std::exception &e) {
                targets[owed.repo] = nullptr;
                fail("repository " + std::to_string(owed.repo) + ": " + e.what());
                continue;
            }
        }
        if (!targets[owed.repo]) {
            r.still_owed++;
            continue;
        }
        try {
            copy_owed(cfg, *targets[owed.repo], owed.repo, owed.wal_name, system_id);
            ::unlink(marker.c_str());
            r.copied++;
        } catch (const Canceled &) {
            throw;
        } catch (const std::exception &e) {
            fail(e.what());
        }
    }
    return r;
}

} // namespace safekeep
