#include "verify/verify_all.h"

#include "util/error.h"

#include <nlohmann/json.hpp>

namespace safekeep {

namespace {

nlohmann::json problems_array(const std::vector<VerifyProblem> &problems) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto &p : problems)
        out.push_back(
            {{"label", p.label}, {"kind", p.kind}, {"object", p.object}, {"detail", p.detail}});
    return out;
}

} // namespace

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

std::string problems_json(const std::vector<VerifyProblem> &problems) {
    return problems_array(problems).dump();
}

std::string repository_verify_json(const std::vector<RepositoryVerify> &results) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto &v : results)
        out.push_back({{"repository", v.repository},
                       {"outcome", outcome_name(v.outcome)},
                       {"error", v.error},
                       {"checked", v.report.checked},
                       {"problems", problems_array(v.report.problems)}});
    return out.dump();
}

} // namespace safekeep
