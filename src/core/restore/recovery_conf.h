// recovery.signal and the recovery settings appended to postgresql.auto.conf.
#pragma once

#include "repo/config.h"
#include "restore/select.h"
#include "util/conf_writer.h"

#include <string>
#include <utility>
#include <vector>

namespace safekeep {

// 'text' for a POSIX shell, embedded quotes as '\''.
std::string shell_quote(const std::string &s);

// Tool options ("name", "value") that name one repository, e.g.
// {"repo1-path", "/srv/repo"}: the restore_command reads WAL from it.
using RepoOptions = std::vector<std::pair<std::string, std::string>>;

// The options for repository spec (files only: secrets never go on a command line).
RepoOptions repo_cli_options(const RepoSpec &spec);

// restore_command for the tool: a command line PostgreSQL runs through the
// shell, every argument shell-quoted and '%' doubled.  Not yet quoted for the
// configuration file: conf_writer does that.
std::string restore_command_value(const std::string &tool_path, const RepoOptions &repo,
                                  const std::string &stanza);

// restore_command, the recovery target settings, then extra (later lines win).
ConfSettings recovery_settings(const std::string &tool_path, const RepoOptions &repo,
                               const std::string &stanza, const RestoreTarget &target,
                               const ConfSettings &extra);

// The same as the text appended to postgresql.auto.conf (through conf_writer).
std::string recovery_conf_text(const ConfSettings &settings);

// Writes recovery.signal and appends settings to postgresql.auto.conf (durably).
void write_recovery_config(const std::string &pgdata, const std::string &settings);

} // namespace safekeep
