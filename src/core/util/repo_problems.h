// What went wrong in several repositories, as one message:
// "repo1: <error>; repo2: <error>" (a WAL push, a restore that looks in each).
#pragma once

#include <string>

namespace safekeep {

class RepoProblems {
  public:
    // "repo<number>: <what>"
    void add(int number, const std::string &what);
    // what as it is (it names its repository already)
    void add(const std::string &what);
    bool empty() const { return text_.empty(); }
    const std::string &text() const { return text_; }

  private:
    std::string text_;
};

} // namespace safekeep
