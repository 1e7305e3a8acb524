#include "scratch/scratch_conf.h"

#include "restore/recovery_conf.h"

#include <cctype>
#include <cstring>
#include <sstream>

namespace safekeep {

const char kSocketDirTemplate[] = "/tmp/sk-XXXXXX";

std::string scratch_settings(const std::string &socket_dir, int port, const std::string &hba_file,
                             const std::string &ident_file) {
    std::string out = "\n# pg_safekeep scratch copy: private, reachable only through its socket\n";
    out += "listen_addresses = ''\n";
    out += "unix_socket_directories = " + conf_quote(socket_dir) + "\n";
    out += "unix_socket_permissions = 0700\n";
    out += "port = " + std::to_string(port) + "\n";
    out += "hba_file = " + conf_quote(hba_file) + "\n";
    out += "ident_file = " + conf_quote(ident_file) + "\n";
    // Never push WAL into the production repository, never wait for standbys.
    out += "archive_mode = off\n";
    out += "synchronous_standby_names = ''\n";
    out += "hot_standby = off\n";
    // The whole log in server.log (errors quote its end); no certificates needed.
    out += "logging_collector = off\n";
    out += "ssl = off\n";
    return out;
}

// Parses a postgresql.conf quoted value starting at s[pos] == '\''.
static std::string unquote(const std::string &s, size_t pos) {
    std::string out;
    for (size_t i = pos + 1; i < s.size(); i++) {
        if (s[i] == '\'') {
            if (i + 1 < s.size() && s[i + 1] == '\'') {
                out += '\'';
                i++;
                continue;
            }
            return out;
        }
        out += s[i];
    }
    return ""; // unterminated
}

std::string socket_dir_from_conf(const std::string &conf_text) {
    static const char key[] = "unix_socket_directories";
    std::istringstream in(conf_text);
    std::string line, found;
    while (std::getline(in, line)) {
        size_t p = line.find_first_not_of(" \t");
        if (p == std::string::npos || line.compare(p, sizeof key - 1, key) != 0)
            continue;
        p = line.find_first_not_of(" \t=", p + sizeof key - 1);
        if (p != std::string::npos && line[p] == '\'')
            found = unquote(line, p);
    }
    return found;
}

bool is_scratch_socket_dir(const std::string &path) {
    const size_t prefix = std::strlen(kSocketDirTemplate) - 6;
    if (path.size() != std::strlen(kSocketDirTemplate) ||
        path.compare(0, prefix, kSocketDirTemplate, prefix) != 0)
        return false;
    for (size_t i = prefix; i < path.size(); i++)
        if (!std::isalnum(static_cast<unsigned char>(path[i])))
            return false;
    return true;
}

} // namespace safekeep
