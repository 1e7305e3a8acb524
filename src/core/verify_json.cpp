#include "verify_json.h"

namespace safekeep {

nlohmann::json verify_problems_json(const std::vector<VerifyProblem> &problems) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto &p : problems)
        out.push_back(
            {{"label", p.label}, {"kind", p.kind}, {"object", p.object}, {"detail", p.detail}});
    return out;
}

nlohmann::json verify_results_json(const std::vector<RepositoryVerify> &results) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto &v : results)
        out.push_back({{"repository", v.repository},
                       {"outcome", outcome_name(v.outcome)},
                       {"error", v.error},
                       {"checked", v.report.checked},
                       {"problems", verify_problems_json(v.report.problems)}});
    return out;
}

} // namespace safekeep
