#include "restore/recovery_conf.h"

#include "storage/posix.h"
#include "util/error.h"

#include <fcntl.h>

namespace safekeep {

std::string shell_quote(const std::string &s) {
    std::string out = "'";
    for (char c : s) {
        if (c == '\'')
            out += "'\\''";
        else
            out += c;
    }
    return out + "'";
}

std::string conf_quote(const std::string &s) {
    std::string out = "'";
    for (char c : s) {
        if (c == '\'')
            out += "''";
        else
            out += c;
    }
    return out + "'";
}

// restore_command expands %f/%p/%r; a literal % in a path must be %%.
static std::string escape_percent(const std::string &s) {
    std::string out;
    for (char c : s) {
        out += c;
        if (c == '%')
            out += '%';
    }
    return out;
}

std::string restore_command_setting(const std::string &tool_path, const std::string &repo_root,
                                    const std::string &stanza) {
    std::string cmd =
        escape_percent(shell_quote(tool_path)) +
        " archive-get %f \"%p\" --repo1-path=" + escape_percent(shell_quote(repo_root)) +
        " --stanza=" + escape_percent(shell_quote(stanza));
    return conf_quote(cmd);
}

std::string recovery_settings(const std::string &tool_path, const std::string &repo_root,
                              const std::string &stanza, const RestoreTarget &target,
                              const std::string &extra_conf) {
    std::string out = "\n# added by pg_safekeep restore\n";
    out += "restore_command = " + restore_command_setting(tool_path, repo_root, stanza) + "\n";
    const std::string &t = target.type;
    if (!t.empty()) {
        if (t == "immediate")
            out += "recovery_target = 'immediate'\n";
        else if (t == "time" || t == "lsn" || t == "xid" || t == "name")
            out += "recovery_target_" + t + " = " + conf_quote(target.value) + "\n";
        else
            throw Error("unknown recovery target type \"" + t + "\"");
        if (!target.action.empty() && target.action != "promote" && target.action != "pause" &&
            target.action != "shutdown")
            throw Error("unknown recovery target action \"" + target.action +
                        "\" (expected promote, pause or shutdown)");
        if (!target.inclusive && t != "immediate")
            out += "recovery_target_inclusive = false\n";
        out += "recovery_target_action = " +
               conf_quote(target.action.empty() ? "promote" : target.action) + "\n";
    }
    if (!extra_conf.empty()) {
        out += extra_conf;
        if (out.back() != '\n')
            out += '\n';
    }
    return out;
}

void write_recovery_config(const std::string &pgdata, const std::string &settings) {
    std::string conf = posix::join(pgdata, "postgresql.auto.conf");
    {
        posix::Fd fd = posix::open_file(conf, O_WRONLY | O_CREAT | O_APPEND, 0600);
        posix::write_all(fd.get(), settings.data(), settings.size(), conf);
        posix::fsync_fd(fd.get(), conf);
        fd.close(conf);
    }
    std::string signal = posix::join(pgdata, "recovery.signal");
    posix::Fd fd = posix::open_file(signal, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    posix::fsync_fd(fd.get(), signal);
    fd.close(signal);
    posix::fsync_dir(pgdata);
}

} // namespace safekeep
