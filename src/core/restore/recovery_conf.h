// recovery.signal and the recovery settings appended to postgresql.auto.conf.
#pragma once

#include "repo/config.h"
#include "restore/select.h"

#include <string>
#include <utility>
#include <vector>

namespace safekeep {

// 'text' for a POSIX shell, embedded quotes as '\''.
std::string shell_quote(const std::string &s);
// 'text' for postgresql.conf, embedded quotes doubled.
std::string conf_quote(const std::string &s);

// restore_command for the tool, as a quoted postgresql.conf value.
// Tool options ("name", "value") that name one repository, e.g.
// {"repo1-path", "/srv/repo"}: the restore_command reads WAL from it.
using RepoOptions = std::vector<std::pair<std::string, std::string>>;

// The options for repository spec (files only: secrets never go on a command line).
RepoOptions repo_cli_options(const RepoSpec &spec);

// restore_command for the tool, as a quoted postgresql.conf value.
std::string restore_command_setting(const std::string &tool_path, const RepoOptions &repo,
                                    const std::string &stanza);

// The lines appended to postgresql.auto.conf.
std::string recovery_settings(const std::string &tool_path, const RepoOptions &repo,
                              const std::string &stanza, const RestoreTarget &target,
                              const std::string &extra_conf);

// Writes recovery.signal and appends settings to postgresql.auto.conf (durably).
void write_recovery_config(const std::string &pgdata, const std::string &settings);

} // namespace safekeep
