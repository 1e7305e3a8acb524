#include "verify/verify_all.h"

#include "util/error.h"

namespace safekeep {

std::vector<RepositoryVerify> verify_every_repository(const Config &cfg, const std::string &label,
                                                      bool wal_to_newest,
                                                      const CancelPoll &cancel) {
    std::vector<RepositoryVerify> out;
    for (const RepoSpec &r : cfg.effective_repos()) {
        if (cfg.read_repo != 0 && r.number != cfg.read_repo)
            continue;
        Config one = cfg;
        one.read_repo = r.number;
        RepositoryVerify v;
        v.repository = r.number;
        try {
            v.report = verify_backups(one, label, wal_to_newest, cancel);
        } catch (const Canceled &) {
            throw;
        } catch (const NotFound &e) {
            v.outcome = RepositoryVerify::Outcome::NotFound;
            v.error = e.what();
        } catch (const std::exception &e) {
            v.outcome = RepositoryVerify::Outcome::Unreadable;
            v.error = e.what();
        }
        out.push_back(std::move(v));
    }
    return out;
}

std::string verify_summary(const VerifyReport &r) {
    return "verified " + std::to_string(r.checked.size()) +
           " backup(s): " + std::to_string(r.problems.size()) + " problem(s)";
}

const char *outcome_name(RepositoryVerify::Outcome o) {
    switch (o) {
    case RepositoryVerify::Outcome::Verified:
        return "verified";
    case RepositoryVerify::Outcome::NotFound:
        return "not_found";
    case RepositoryVerify::Outcome::Unreadable:
        return "unreadable";
    }
    return "unreadable";
}

} // namespace safekeep
