#include "expire/expire_all.h"

#include "repo/layout.h"
#include "util/error.h"

#include <exception>

namespace safekeep {

size_t RepositoryExpire::expired_physical() const {
    size_t n = 0;
    for (const auto &d : physical.plan.backups)
        n += d.keep ? 0 : 1;
    return n;
}

bool ExpireResult::any_failed() const {
    for (const auto &r : repositories)
        if (!r.error.empty())
            return true;
    return false;
}

std::string ExpireResult::summary() const {
    uint64_t backups = 0, logical = 0, wal = 0;
    std::string failures;
    for (const auto &r : repositories) {
        if (!r.error.empty()) {
            failures += "; repository " + std::to_string(r.repository) +
                        " could not be expired: " + r.error;
            continue;
        }
        backups += r.expired_physical() + r.logical_removed_count;
        logical += r.logical_removed_count;
        wal += r.physical.wal_removed_count;
    }
    return std::string(dry_run ? "would expire " : "expired ") + std::to_string(backups) +
           " backup(s)" + (logical ? " (" + std::to_string(logical) + " logical)" : "") + " and " +
           std::to_string(wal) + " WAL file(s)" + failures;
}

namespace {

void expire_one(const Config &cfg, const RepoSpec &spec, const LogicalRetention &logical,
                bool dry_run, int64_t now, RepositoryExpire &out) {
    const RepoLayout repo = RepoLayout::for_repo_read(cfg, spec, true);
    out.physical = expire_repository(repo, out.policy, dry_run, now);
    out.logical = expire_logical(repo, logical, dry_run, now);
    for (const auto &d : out.logical)
        if (!d.keep) {
            out.logical_removed_count++;
            out.logical_removed_bytes += d.stored_size;
        }
}

} // namespace

ExpireResult expire_all(const Config &cfg, const RetentionSettings &settings, bool dry_run,
                        int64_t now) {
    ExpireResult result;
    result.dry_run = dry_run;
    result.logical = settings.logical;
    std::vector<std::exception_ptr> errors;
    for (const RepoSpec &spec : readable_repos(cfg)) {
        RepositoryExpire r;
        r.repository = spec.number;
        r.policy = settings.for_repository(spec.number);
        try {
            expire_one(cfg, spec, settings.logical, dry_run, now, r);
        } catch (const std::exception &e) {
            r = RepositoryExpire{};
            r.repository = spec.number;
            r.policy = settings.for_repository(spec.number);
            r.error = e.what();
            errors.push_back(std::current_exception());
        }
        result.repositories.push_back(std::move(r));
    }
    if (errors.size() == result.repositories.size()) {
        if (errors.size() == 1)
            std::rethrow_exception(errors[0]);
        std::string text;
        for (const auto &r : result.repositories)
            text += (text.empty() ? "" : "; ") +
                    ("repository " + std::to_string(r.repository) + ": " + r.error);
        throw Error("no repository could be expired: " + text);
    }
    return result;
}

} // namespace safekeep
