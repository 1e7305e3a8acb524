// The settings that keep a scratch copy private, and reading back the
// socket directory they name (for cleanup after a crash).
#pragma once

#include "util/conf_writer.h"

#include <string>

namespace safekeep {

// Settings appended after the caller's extra settings, so they win: no TCP,
// one socket in a private directory, trust over that socket only, no
// archiving, no hot standby (connections only once promoted).
ConfSettings scratch_settings(const std::string &socket_dir, int port, const std::string &hba_file,
                              const std::string &ident_file);

// The last unix_socket_directories value in a postgresql.auto.conf text;
// "" when there is none.
std::string socket_dir_from_conf(const std::string &conf_text);

// True for a directory name mkdtemp("/tmp/sk-XXXXXX") can produce: cleanup
// removes only such directories.
bool is_scratch_socket_dir(const std::string &path);

// The mkdtemp template for socket directories (short: socket paths are
// limited to 107 bytes).
extern const char kSocketDirTemplate[];

} // namespace safekeep
