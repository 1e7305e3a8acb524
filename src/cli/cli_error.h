// Errors the tool reports: one line on stderr, then a fixed exit code.
#pragma once

#include <stdexcept>
#include <string>

namespace safekeep::cli {

constexpr int kExitOk = 0;
constexpr int kExitError = 1;
constexpr int kExitUsage = 2;

// A failure while doing the work (repository, restore, I/O).
class CliError : public std::runtime_error {
  public:
    explicit CliError(const std::string &what) : std::runtime_error(what) {}
};

// The command line itself is wrong; exit code 2.
class UsageError : public std::runtime_error {
  public:
    explicit UsageError(const std::string &what) : std::runtime_error(what) {}
};

// Prints "pg_safekeep: error: <text>" on stderr.
void print_error(const std::string &text);

} // namespace safekeep::cli
