// The C interface of verification across repositories (verify/verify_all.h).
#include "capi_support.h"
#include "verify_json.h"

using namespace safekeep;

int sk_verify_everywhere(const sk_config *cfg, const char *label, int check_wal_to_newest,
                         sk_cancel_fn cancel, char **results_json, sk_msg *msg) noexcept {
    if (results_json)
        *results_json = nullptr;
    return guarded(msg, [&] {
        if (!results_json)
            throw Error("sk_verify_everywhere needs a result pointer");
        std::vector<RepositoryVerify> all = verify_every_repository(
            to_config(cfg), str(label), check_wal_to_newest != 0, to_cancel(cancel));
        size_t found = 0, unreadable = 0, problems = 0;
        for (const auto &v : all) {
            found += v.outcome == RepositoryVerify::Outcome::Verified;
            unreadable += v.outcome == RepositoryVerify::Outcome::Unreadable;
            problems += v.report.problems.size();
        }
        if (found == 0 && unreadable == 0 && !str(label).empty())
            throw NotFound("backup \"" + str(label) + "\" is in no repository");
        *results_json = dup_string(verify_results_json(all).dump());
        set_msg(msg, ("verified in " + std::to_string(found) + " of " + std::to_string(all.size()) +
                      " repositories: " + std::to_string(problems) + " problem(s)" +
                      (unreadable ? ", " + std::to_string(unreadable) + " could not be read"
                                  : std::string()))
                         .c_str());
        return SK_OK;
    });
}
