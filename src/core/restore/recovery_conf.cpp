#include "restore/recovery_conf.h"

#include "os/files.h"
#include "util/error.h"
#include "util/user_names.h"

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

RepoOptions repo_cli_options(const RepoSpec &r) {
    const std::string n = "repo" + std::to_string(r.number) + "-";
    RepoOptions o;
    auto add = [&](const std::string &name, const std::string &value) {
        if (!value.empty())
            o.emplace_back(n + name, value);
    };
    if (r.type == "s3") {
        add("type", "s3");
        add("s3-endpoint", r.s3.endpoint);
        add("s3-bucket", r.s3.bucket);
        add("s3-region", r.s3.region);
        add("s3-prefix", r.s3.prefix);
        add("s3-uri-style", r.s3.uri_style);
        add("s3-verify-tls", r.s3.verify_tls ? "y" : "n");
        add("s3-ca-file", r.s3.ca_file);
        add("s3-part-size", std::to_string(r.s3.part_size >> 20));
        add("s3-credentials-file", r.s3.credentials_file);
        add("s3-profile", r.s3.profile);
    } else {
        add("path", r.path);
    }
    if (r.cipher != "none" && !r.cipher.empty()) {
        add("cipher", r.cipher);
        add("cipher-passphrase-file", r.passphrase_file);
    }
    if (r.number != 1)
        o.emplace_back("repo", std::to_string(r.number));
    return o;
}

std::string restore_command_value(const std::string &tool_path, const RepoOptions &repo,
                                  const std::string &stanza) {
    std::string cmd = escape_percent(shell_quote(tool_path)) + " archive-get %f \"%p\"";
    for (const auto &opt : repo)
        cmd += " --" + opt.first + "=" + escape_percent(shell_quote(opt.second));
    cmd += " --stanza=" + escape_percent(shell_quote(stanza));
    return cmd;
}

ConfSettings recovery_settings(const std::string &tool_path, const RepoOptions &repo,
                               const std::string &stanza, const RestoreTarget &target,
                               const ConfSettings &extra) {
    ConfSettings out;
    out.push_back({"restore_command", restore_command_value(tool_path, repo, stanza)});
    const std::string &t = target.type;
    if (!t.empty()) {
        if (t == "name")
            check_restore_point_name(target.value);
        if (t == "immediate")
            out.push_back({"recovery_target", "immediate"});
        else if (t == "time" || t == "lsn" || t == "xid" || t == "name")
            out.push_back({"recovery_target_" + t, target.value});
        else
            throw Error("unknown recovery target type \"" + t + "\"");
        if (!target.action.empty() && target.action != "promote" && target.action != "pause" &&
            target.action != "shutdown")
            throw Error("unknown recovery target action \"" + target.action +
                        "\" (expected promote, pause or shutdown)");
        if (!target.inclusive && t != "immediate")
            out.push_back({"recovery_target_inclusive", "false"});
        out.push_back(
            {"recovery_target_action", target.action.empty() ? "promote" : target.action});
    }
    out.insert(out.end(), extra.begin(), extra.end());
    return out;
}

std::string recovery_conf_text(const ConfSettings &settings) {
    return "\n" + conf_lines(settings, "added by pg_safekeep restore");
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
