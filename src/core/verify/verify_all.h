// Verification across repositories: each configured repository is read and
// verified on its own, so a corrupt object in repo2 is found even when repo1
// is sound, and one repository that cannot be read hides no other's result.
#pragma once

#include "verify/verify.h"

#include <string>
#include <vector>

namespace safekeep {

struct RepositoryVerify {
    enum class Outcome {
        Verified,   // report holds what was checked and found
        NotFound,   // the repository does not hold the backup asked for
        Unreadable, // the repository could not be read (error says why)
    };
    int repository = 0;
    Outcome outcome = Outcome::Verified;
    VerifyReport report;
    std::string error;
};

// cfg.read_repo 0: every configured repository in turn; else only that one.
// Canceled propagates; any other failure of one repository is its outcome.
std::vector<RepositoryVerify> verify_every_repository(const Config &cfg, const std::string &label,
                                                      bool wal_to_newest, const CancelPoll &cancel);

// "verified N backup(s): M problem(s)"
std::string verify_summary(const VerifyReport &r);

// "verified"/"not_found"/"unreadable"
const char *outcome_name(RepositoryVerify::Outcome o);

} // namespace safekeep
