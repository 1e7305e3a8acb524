#include "scratch/scratch_conf.h"

#include <cctype>
#include <cstring>
#include <sstream>

namespace safekeep {

const char kSocketDirTemplate[] = "/tmp/sk-XXXXXX";

ConfSettings scratch_settings(const std::string &socket_dir, int port, const std::string &hba_file,
                              const std::string &ident_file) {
    return {
        {"listen_addresses", ""},
        {"unix_socket_directories", socket_dir},
        {"unix_socket_permissions", "0700"},
        {"port", std::to_string(port)},
        {"hba_file", hba_file},
        {"ident_file", ident_file},
        // Never push WAL into the production repository, never wait for standbys.
        {"archive_mode", "off"},
        {"synchronous_standby_names", ""},
        {"hot_standby", "off"},
        // The whole log in server.log (errors quote its end); no certificates needed.
        {"logging_collector", "off"},
        {"ssl", "off"},
    };
}

// Reads a quoted value starting at s[pos] == '\'' as PostgreSQL does
// (GUC_scanstr): '' is ', and a backslash escapes the next character.
static std::string unquote(const std::string &s, size_t pos) {
    std::string out;
    for (size_t i = pos + 1; i < s.size(); i++) {
        char c = s[i];
        if (c == '\'') {
            if (i + 1 < s.size() && s[i + 1] == '\'') {
                out += '\'';
                i++;
                continue;
            }
            return out;
        }
        if (c == '\\' && i + 1 < s.size()) {
            char e = s[++i];
            switch (e) {
            case 'b':
                out += '\b';
                break;
            case 'f':
                out += '\f';
                break;
            case 'n':
                out += '\n';
                break;
            case 'r':
                out += '\r';
                break;
            case 't':
                out += '\t';
                break;
            default:
                if (e >= '0' && e <= '7') {
                    int v = e - '0';
                    for (int k = 0; k < 2 && i + 1 < s.size() && s[i + 1] >= '0' && s[i + 1] <= '7';
                         k++)
                        v = v * 8 + (s[++i] - '0');
                    out += static_cast<char>(v);
                } else {
                    out += e;
                }
            }
            continue;
        }
        out += c;
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
