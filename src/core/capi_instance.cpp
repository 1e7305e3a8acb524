// The C interface, part 2: scratch instances, argument checks, rekey, server
// start, recovery figures, the stop poll, cron and notifications.
#include "capi_support.h"

using namespace safekeep;

extern "C" {

sk_instance *sk_instance_start(const sk_config *cfg, const sk_restore_opts *ropts,
                               const sk_instance_opts *iopts, sk_cancel_fn cancel,
                               sk_restore_result *res, sk_msg *msg) noexcept {
    sk_instance *result = nullptr;
    if (res)
        std::memset(res, 0, sizeof *res);
    guarded(msg, [&] {
        if (!ropts || !iopts)
            throw Error("a scratch instance needs restore and instance options");
        ScratchOptions o;
        o.scratch_root = str(iopts->scratch_root);
        o.bindir = str(iopts->bindir);
        o.name = str(iopts->name);
        o.user = str(iopts->user);
        o.port = iopts->port;
        o.timeout_seconds = iopts->timeout_seconds;
        auto h = std::make_unique<sk_instance>();
        h->inst = std::make_unique<ScratchInstance>(to_config(cfg), to_restore_request(ropts), o,
                                                    to_cancel(cancel));
        fill_restore_result(res, h->inst->restored());
        set_msg(msg, ("restored backup " + h->inst->restored().label + " into scratch copy \"" +
                      h->inst->dir() + "\" and started it")
                         .c_str());
        result = h.release();
        return SK_OK;
    });
    return result;
}

const char *sk_instance_pgdata(const sk_instance *inst) noexcept {
    return inst && inst->inst ? inst->inst->pgdata().c_str() : "";
}

const char *sk_instance_workdir(const sk_instance *inst) noexcept {
    return inst && inst->inst ? inst->inst->workdir().c_str() : "";
}

const char *sk_instance_log_path(const sk_instance *inst) noexcept {
    return inst && inst->inst ? inst->inst->log_path().c_str() : "";
}

double sk_instance_restore_seconds(const sk_instance *inst) noexcept {
    return inst && inst->inst ? inst->inst->restore_seconds() : 0;
}

double sk_instance_recovery_seconds(const sk_instance *inst) noexcept {
    return inst && inst->inst ? inst->inst->recovery_seconds() : 0;
}

int sk_instance_query(sk_instance *inst, const char *dbname, const char *sql, int nparams,
                      const char *const *params, char **rows_json, sk_msg *msg) noexcept {
    if (rows_json)
        *rows_json = nullptr;
    return guarded(msg, [&] {
        if (!inst || !inst->inst || !dbname || !sql || !rows_json || nparams < 0 ||
            (nparams > 0 && !params))
            throw Error("sk_instance_query needs an instance, database, statement and result "
                        "pointer");
        std::vector<PgValue> values;
        for (int i = 0; i < nparams; i++)
            values.push_back(params[i] ? PgValue(params[i]) : std::nullopt);
        nlohmann::json rows = nlohmann::json::array();
        for (const auto &row : inst->inst->query(dbname, sql, values)) {
            nlohmann::json r = nlohmann::json::array();
            for (const auto &v : row)
                r.push_back(v ? nlohmann::json(*v) : nlohmann::json(nullptr));
            rows.push_back(std::move(r));
        }
        // Text in a non-UTF-8 database can hold invalid bytes: replace them.
        *rows_json =
            dup_string(rows.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
        return SK_OK;
    });
}

int sk_instance_run(sk_instance *inst, const char *const *argv, int timeout_seconds,
                    sk_cancel_fn cancel, char **output, int *exit_code, sk_msg *msg) noexcept {
    if (output)
        *output = nullptr;
    if (exit_code)
        *exit_code = -1;
    return guarded(msg, [&] {
        if (!inst || !inst->inst || !argv || !argv[0] || !output || !exit_code)
            throw Error("sk_instance_run needs an instance, a program and result pointers");
        std::vector<std::string> args;
        for (size_t i = 1; argv[i]; i++)
            args.emplace_back(argv[i]);
        RunOptions ro;
        ro.capture = true;
        ro.capture_limit = 64 * 1024;
        ro.timeout_seconds = timeout_seconds;
        ro.cancel = to_cancel(cancel);
        RunResult r = inst->inst->run_client(argv[0], args, ro);
        *output = dup_string(r.output);
        *exit_code = r.exit_code;
        std::string done =
            std::string(argv[0]) + " exited with code " + std::to_string(r.exit_code);
        set_msg(msg, done.c_str());
        return SK_OK;
    });
}

void sk_instance_destroy(sk_instance *inst) noexcept {
    delete inst; // ~ScratchInstance stops and removes, never throws
}

int sk_scratch_cleanup(const char *scratch_root, const char *bindir, sk_msg *msg) noexcept {
    return guarded(msg, [&] {
        if (!scratch_root || !bindir)
            throw Error("scratch cleanup needs the scratch root and bindir");
        int n = cleanup_scratch(scratch_root, bindir);
        set_msg(msg, ("removed " + std::to_string(n) + " scratch instance(s) from \"" +
                      std::string(scratch_root) + "\"")
                         .c_str());
        return SK_OK;
    });
}

int sk_check_restore_point_name(const char *name, sk_msg *msg) noexcept {
    return guarded(msg, [&] {
        check_restore_point_name(str(name));
        return SK_OK;
    });
}

int sk_check_backup_label(const char *label, const char *what, sk_msg *msg) noexcept {
    return guarded(msg, [&] {
        check_backup_label_arg(str(label), what && *what ? what : "the backup");
        return SK_OK;
    });
}

int sk_check_target_dir(const char *dir, const char *live_pgdata, sk_msg *msg) noexcept {
    return guarded(msg, [&] {
        check_target_dir(str(dir), str(live_pgdata));
        return SK_OK;
    });
}

int sk_check_port_free(int port, sk_msg *msg) noexcept {
    return guarded(msg, [&] {
        check_port_free(port);
        return SK_OK;
    });
}

int sk_check_target_timeline(const char *timeline, sk_msg *msg) noexcept {
    return guarded(msg, [&] {
        check_target_timeline(str(timeline));
        return SK_OK;
    });
}

int sk_check_repo(const sk_config *cfg, sk_msg *msg) noexcept {
    return guarded(msg, [&] {
        Config c = to_config(cfg);
        if (c.repos.empty())
            throw Error("no repository is configured");
        for (const auto &r : c.repos)
            open_repo(r);
        return SK_OK;
    });
}

int sk_rekey(const sk_config *cfg, int repo_number, const char *new_passphrase_file,
             sk_msg *msg) noexcept {
    return guarded(msg, [&] {
        if (!new_passphrase_file || !*new_passphrase_file)
            throw Error("a file holding the new passphrase is required");
        int n = rekey_repository(to_config(cfg), repo_number, new_passphrase_file);
        std::string done = "repository " + std::to_string(repo_number) + " rekeyed (" +
                           std::to_string(n) + (n == 1 ? " stanza" : " stanzas") +
                           "); point its cipher_passphrase_file at the new passphrase";
        set_msg(msg, done.c_str());
        return SK_OK;
    });
}

int sk_start_server(const char *bindir, const char *pgdata, int port, const char *log_path,
                    int timeout_seconds, sk_msg *msg) noexcept {
    return guarded(msg, [&] {
        if (!bindir || !pgdata || !log_path)
            throw Error("starting a server needs bindir, data directory and log path");
        start_server(bindir, pgdata, port, log_path, timeout_seconds);
        return SK_OK;
    });
}

int sk_recovery_figures_read(const sk_config *cfg, const char *log_path, sk_recovery_figures *out,
                             sk_msg *msg) noexcept {
    if (out)
        std::memset(out, 0, sizeof *out);
    return guarded(msg, [&] {
        if (!out)
            throw Error("sk_recovery_figures_read needs a result pointer");
        RecoveryFigures f = read_recovery_figures(to_config(cfg), str(log_path));
        if (f.last_xact) {
            out->has_last_xact = 1;
            out->last_xact_time = f.last_xact->unix_seconds.value_or(0);
            out->last_xact_text = dup_string(f.last_xact->text);
        }
        copy_str(out->newest_wal, sizeof out->newest_wal, f.newest_wal);
        out->has_newest_wal_time = f.newest_wal_time ? 1 : 0;
        out->newest_wal_time = f.newest_wal_time.value_or(0);
        out->has_rpo = f.rpo_seconds ? 1 : 0;
        out->rpo_seconds = f.rpo_seconds.value_or(0);
        set_msg(msg, f.rpo_note.c_str());
        return SK_OK;
    });
}

void sk_recovery_figures_free(sk_recovery_figures *f) noexcept {
    if (!f)
        return;
    std::free(f->last_xact_text);
    f->last_xact_text = nullptr;
}

void sk_set_stop_poll(sk_cancel_fn poll) noexcept {
    set_stop_poll(poll);
}

int sk_cron_next(const char *expr, int64_t after_unix, int64_t *next_unix, sk_msg *msg) noexcept {
    return guarded(msg, [&] {
        if (!expr || !next_unix)
            throw Error("sk_cron_next needs an expression and a result pointer");
        *next_unix = cron_next_after(std::string(expr), after_unix);
        return SK_OK;
    });
}

int sk_notify_webhook(const char *url, const char *json_body, int timeout_seconds,
                      sk_msg *msg) noexcept {
    return guarded(msg, [&] {
        if (!url || !*url)
            throw Error("no webhook URL configured");
        http_post_json(url, str(json_body), timeout_seconds);
        return SK_OK;
    });
}

int sk_notify_email(const sk_smtp_opts *opts, const char *subject, const char *body,
                    sk_msg *msg) noexcept {
    return guarded(msg, [&] {
        if (!opts)
            throw Error("no SMTP settings given");
        SmtpOptions o;
        o.server = str(opts->server);
        o.port = opts->port > 0 ? opts->port : 587;
        o.tls = opts->tls == 2 ? SmtpTls::Tls : opts->tls == 1 ? SmtpTls::StartTls : SmtpTls::None;
        o.user = str(opts->user);
        o.password = str(opts->password);
        o.from = str(opts->from);
        o.to = split_addresses(str(opts->to));
        o.timeout_seconds = opts->timeout_seconds;
        o.ca_file = str(opts->ca_file);
        send_mail(o, str(subject), str(body));
        return SK_OK;
    });
}

} // extern "C"
