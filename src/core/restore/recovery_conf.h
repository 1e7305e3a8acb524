// recovery.signal and the recovery settings appended to postgresql.auto.conf.
#pragma once

#include "restore/select.h"

#include <string>

namespace safekeep {

// 'text' for a POSIX shell, embedded quotes as '\''.
std::string shell_quote(const std::string &s);
// 'text' for postgresql.conf, embedded quotes doubled.
std::string conf_quote(const std::string &s);

// restore_command for the tool, as a quoted postgresql.conf value.
std::string restore_command_setting(const std::string &tool_path, const std::string &repo_root,
                                    const std::string &stanza);

// The lines appended to postgresql.auto.conf.
std::string recovery_settings(const std::string &tool_path, const std::string &repo_root,
                              const std::string &stanza, const RestoreTarget &target,
                              const std::string &extra_conf);

// Writes recovery.signal and appends settings to postgresql.auto.conf (durably).
void write_recovery_config(const std::string &pgdata, const std::string &settings);

} // namespace safekeep
