#include "util/repo_problems.h"

namespace safekeep {

void RepoProblems::add(int number, const std::string &what) {
    add("repo" + std::to_string(number) + ": " + what);
}

void RepoProblems::add(const std::string &what) {
    text_ += (text_.empty() ? "" : "; ") + what;
}

} // namespace safekeep
