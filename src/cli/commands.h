// Entry points of the subcommands; each returns the process exit code.
#pragma once

#include <string>
#include <vector>

namespace safekeep::cli {

int run_info(const std::vector<std::string> &args);
int run_restore(const std::vector<std::string> &args);
int run_archive_get(const std::vector<std::string> &args);
int run_verify(const std::vector<std::string> &args);
int run_expire(const std::vector<std::string> &args);
int run_rekey(const std::vector<std::string> &args);

// Usage text for the tool, or for one subcommand when name is not empty.
void print_help(const std::string &name);
void print_version();

} // namespace safekeep::cli
