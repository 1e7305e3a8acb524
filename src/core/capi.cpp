// The C interface (capi.h). Every function is noexcept and turns every
// exception into a status plus message, so no C++ unwinding ever meets
// PostgreSQL's longjmp.
#include "pg_safekeep/capi.h"

#include "backup/backup.h"
#include "logical/dump.h"
#include "repo/logical_list.h"
#include "logical/restore.h"
#include "notify/http_post.h"
#include "notify/smtp_mail.h"
#include "repo/catalog.h"
#include "expire/expire_all.h"
#include "repo/info.h"
#include "repo/label.h"
#include "repo/layout.h"
#include "repo/rekey.h"
#include "repo/sweep.h"
#include "restore/promotion.h"
#include "restore/recovery_report.h"
#include "restore/restore.h"
#include "restore/restored_server.h"
#include "schedule/cron.h"
#include "scratch/cleanup.h"
#include "scratch/instance.h"
#include "os/checks.h"
#include "util/error.h"
#include "restore/server.h"
#include "util/user_names.h"
#include "verify/verify.h"
#include "wal/archive.h"
#include "wal/push_ahead.h"
#include "os/stop.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <new>
#include <nlohmann/json.hpp>

using namespace safekeep;

struct sk_backup {
    std::unique_ptr<BackupSession> session;
};

struct sk_instance {
    std::unique_ptr<ScratchInstance> inst;
};

namespace {

void set_msg(sk_msg *msg, const char *text) {
    if (msg)
        std::snprintf(msg->text, sizeof msg->text, "%s", text);
}

void clear_msg(sk_msg *msg) {
    if (msg)
        msg->text[0] = '\0';
}

std::string str(const char *s) {
    return s ? std::string(s) : std::string();
}

RepoSpec to_repo_spec(const sk_repo_config &r, int number) {
    RepoSpec spec;
    spec.number = number;
    spec.type = str(r.type).empty() ? "posix" : str(r.type);
    spec.path = str(r.path);
    spec.s3.endpoint = str(r.s3_endpoint);
    spec.s3.bucket = str(r.s3_bucket);
    spec.s3.region = str(r.s3_region);
    spec.s3.prefix = str(r.s3_prefix);
    spec.s3.uri_style = str(r.s3_uri_style).empty() ? "path" : str(r.s3_uri_style);
    spec.s3.verify_tls = r.s3_verify_tls != 0;
    spec.s3.ca_file = str(r.s3_ca_file);
    if (r.s3_part_size_mb > 0)
        spec.s3.part_size = static_cast<size_t>(r.s3_part_size_mb) << 20;
    spec.s3.credentials_file = str(r.s3_credentials_file);
    spec.s3.profile = str(r.s3_profile).empty() ? "default" : str(r.s3_profile);
    spec.cipher = str(r.cipher).empty() ? "none" : str(r.cipher);
    spec.passphrase_file = str(r.cipher_passphrase_file);
    return spec;
}

Config to_config(const sk_config *cfg) {
    if (!cfg)
        throw Error("no repository configuration given");
    Config c;
    // A repository is configured when its type is set (the shim and the tool
    // fill it in for every repository they know).
    for (int i = 0; i < SK_MAX_REPOS; i++)
        if (!str(cfg->repos[i].type).empty() || !str(cfg->repos[i].path).empty())
            c.repos.push_back(to_repo_spec(cfg->repos[i], i + 1));
    c.read_repo = cfg->read_repo;
    c.max_rate = cfg->max_rate > 0 ? static_cast<uint64_t>(cfg->max_rate) : 0;
    c.stanza = str(cfg->stanza);
    c.compress_level = cfg->compress_level;
    c.parallel = cfg->parallel < 1 ? 1 : cfg->parallel;
    return c;
}

CancelPoll to_cancel(sk_cancel_fn fn) {
    if (!fn)
        return {};
    return [fn]() { return fn() != 0; };
}

// Runs on the calling thread only; the relaxed atomic stores let another
// thread read the struct loosely without tearing.
ProgressFn to_progress(sk_progress *p) {
    if (!p)
        return {};
    return [p](const ProgressReport &r) {
        __atomic_store_n(&p->files_total, r.files_total, __ATOMIC_RELAXED);
        __atomic_store_n(&p->files_done, r.files_done, __ATOMIC_RELAXED);
        __atomic_store_n(&p->bytes_total, r.bytes_total, __ATOMIC_RELAXED);
        __atomic_store_n(&p->bytes_done, r.bytes_done, __ATOMIC_RELAXED);
    };
}

char *dup_string(const std::string &s) {
    char *out = static_cast<char *>(std::malloc(s.size() + 1));
    if (!out)
        throw std::bad_alloc();
    std::memcpy(out, s.c_str(), s.size() + 1);
    return out;
}

std::string problems_json_text(const VerifyReport &r) {
    return problems_json(r.problems);
}

void copy_str(char *dst, size_t size, const std::string &src) {
    std::snprintf(dst, size, "%s", src.c_str());
}

// sk_restore_opts as a RestoreRequest (pgdata as given).
RestoreRequest to_restore_request(const sk_restore_opts *opts) {
    RestoreRequest r;
    r.pgdata = str(opts->pgdata);
    r.label = str(opts->label);
    r.target.type = str(opts->target_type);
    r.target.value = str(opts->target_value);
    r.target.action = str(opts->target_action);
    r.target.time_unix = opts->target_time_unix;
    r.target.inclusive = opts->target_inclusive != 0;
    r.tool_path = opts->tool_path && *opts->tool_path ? opts->tool_path : "pg_safekeep";
    r.tablespaces_in_place = opts->tablespaces_in_place != 0;
    if (!r.label.empty())
        check_backup_label_arg(r.label, "the backup to restore");
    for (int i = 0; i < opts->n_extra_settings; i++) {
        const sk_setting &e = opts->extra_settings[i];
        if (!e.name || !e.value)
            throw Error("extra setting " + std::to_string(i) + " has no name or value");
        r.extra_settings.push_back({e.name, e.value});
    }
    r.archive_mode = str(opts->archive_mode);
    r.target_timeline = str(opts->target_timeline);
    return r;
}

void fill_restore_result(sk_restore_result *res, const RestoreOutcome &o) {
    if (!res)
        return;
    std::memset(res, 0, sizeof *res);
    copy_str(res->label, sizeof res->label, o.label);
    res->file_count = o.file_count;
    res->bytes = o.bytes;
}

// Calls f(), mapping exceptions onto statuses.
template <typename F> int guarded(sk_msg *msg, F &&f) noexcept {
    try {
        clear_msg(msg);
        return f();
    } catch (const Canceled &e) {
        set_msg(msg, e.what());
        return SK_CANCELED;
    } catch (const NotFound &e) {
        set_msg(msg, e.what());
        return SK_NOT_FOUND;
    } catch (const std::bad_alloc &) {
        set_msg(msg, "out of memory");
        return SK_ERROR;
    } catch (const std::exception &e) {
        set_msg(msg, e.what());
        return SK_ERROR;
    } catch (...) {
        set_msg(msg, "unexpected internal error");
        return SK_ERROR;
    }
}

} // namespace

extern "C" {

int sk_archive_push(const sk_config *cfg, uint64_t system_id, int pg_version, const char *wal_name,
                    const char *wal_path, sk_msg *msg) noexcept {
    return guarded(msg, [&] {
        if (!wal_name || !wal_path)
            throw Error("archive push needs a WAL file name and path");
        Config c = to_config(cfg);
        wal_push_with_ahead(c, system_id, pg_version, wal_name, wal_path, 2 * c.parallel);
        set_msg(msg, "archived");
        return SK_OK;
    });
}

int sk_archive_get(const sk_config *cfg, const char *wal_name, const char *dest_path,
                   sk_msg *msg) noexcept {
    return guarded(msg, [&] {
        if (!wal_name || !dest_path)
            throw Error("archive get needs a WAL file name and destination path");
        wal_get(to_config(cfg), wal_name, dest_path);
        return SK_OK;
    });
}

sk_backup *sk_backup_begin(const sk_config *cfg, const sk_backup_start *start,
                           sk_msg *msg) noexcept {
    sk_backup *result = nullptr;
    guarded(msg, [&] {
        if (!start || !start->pgdata)
            throw Error("backup start needs a data directory");
        auto b = std::make_unique<sk_backup>();
        BackupOptions o;
        o.type = start->type && *start->type ? start->type : "full";
        o.label_after = str(start->label_after);
        // The fields after type are only read for incremental/differential
        // backups, so a caller that predates them works for full backups.
        if (o.type != "full") {
            o.prior = str(start->prior_label);
            o.timeline = start->timeline;
            o.fallback_full = start->fallback_full != 0;
        }
        b->session = std::make_unique<BackupSession>(to_config(cfg), start->pgdata,
                                                     start->system_id, start->pg_version, o);
        if (!b->session->notice().empty())
            set_msg(msg, b->session->notice().c_str());
        result = b.release();
        return SK_OK;
    });
    return result;
}

const char *sk_backup_label(const sk_backup *b) noexcept {
    if (!b || !b->session)
        return "";
    return b->session->label().c_str();
}

const char *sk_backup_type(const sk_backup *b) noexcept {
    if (!b || !b->session)
        return "";
    return b->session->type().c_str();
}

const char *sk_backup_prior(const sk_backup *b) noexcept {
    if (!b || !b->session)
        return "";
    return b->session->prior().c_str();
}

const char *sk_backup_notice(const sk_backup *b) noexcept {
    if (!b || !b->session)
        return "";
    return b->session->notice().c_str();
}

int sk_backup_choose_prior(const sk_config *cfg, const char *type, uint32_t timeline,
                           char *prior_label, sk_msg *msg) noexcept {
    if (prior_label)
        prior_label[0] = '\0';
    return guarded(msg, [&] {
        if (!prior_label)
            throw Error("sk_backup_choose_prior needs a result buffer");
        RepoLayout repo = RepoLayout::for_read(to_config(cfg), true);
        PriorChoice c = choose_prior(list_backups(repo), type && *type ? type : "full", timeline);
        if (c.label.empty() && !c.reason.empty())
            throw NotFound(c.reason);
        copy_str(prior_label, 64, c.label);
        return SK_OK;
    });
}

int sk_backup_copy(sk_backup *b, sk_cancel_fn cancel, sk_progress *progress, sk_msg *msg) noexcept {
    return guarded(msg, [&] {
        if (!b || !b->session)
            throw Error("no backup in progress");
        b->session->copy(to_cancel(cancel), to_progress(progress));
        return SK_OK;
    });
}

int sk_backup_finish(sk_backup *b, const sk_backup_stop *stop, sk_backup_result *res,
                     sk_msg *msg) noexcept {
    return guarded(msg, [&] {
        if (!b || !b->session)
            throw Error("no backup in progress");
        if (!stop || !stop->start_lsn || !stop->stop_lsn || !stop->labelfile)
            throw Error("backup " + b->session->label() +
                        ": stop information lacks LSNs or the label file");
        BackupStopInfo s;
        s.start_lsn = stop->start_lsn;
        s.stop_lsn = stop->stop_lsn;
        s.labelfile = stop->labelfile;
        s.spcmapfile = str(stop->spcmapfile);
        s.table_counts = str(stop->table_counts);
        s.start_time = stop->start_time;
        s.stop_time = stop->stop_time;
        BackupOutcome o = b->session->finish(s);
        if (res) {
            std::memset(res, 0, sizeof *res);
            copy_str(res->label, sizeof res->label, o.label);
            copy_str(res->manifest_path, sizeof res->manifest_path, o.manifest_path);
            copy_str(res->manifest_sha256, sizeof res->manifest_sha256, o.manifest_sha256);
            copy_str(res->start_wal, sizeof res->start_wal, o.manifest.start_wal);
            copy_str(res->stop_wal, sizeof res->stop_wal, o.manifest.stop_wal);
            res->timeline = o.manifest.timeline;
            res->file_count = o.manifest.file_count;
            res->original_bytes = o.manifest.original_bytes;
            res->stored_bytes = o.manifest.stored_bytes;
            copy_str(res->type, sizeof res->type, o.manifest.type);
            copy_str(res->prior, sizeof res->prior, o.manifest.prior);
            res->copied_bytes = o.manifest.copied_bytes;
            res->changed_files = o.changed_files;
            copy_str(res->repositories, sizeof res->repositories, o.repositories_json);
        }
        set_msg(msg, ((o.manifest.type == "full" ? "" : o.manifest.type + " ") + "backup " +
                      o.label + " completed")
                         .c_str());
        return SK_OK;
    });
}

void sk_backup_abort(sk_backup *b) noexcept {
    try {
        if (b && b->session)
            b->session->abort();
    } catch (...) {
        // Best effort: a leftover directory without manifest is not a backup.
    }
}

void sk_backup_free(sk_backup *b) noexcept {
    delete b;
}

int sk_backup_discard_partial(const sk_config *cfg, const char *label, sk_msg *msg) noexcept {
    return guarded(msg, [&] {
        discard_partial_backup(to_config(cfg), str(label));
        return SK_OK;
    });
}

int sk_sweep_leftovers(const sk_config *cfg, const sk_sweep_opts *opts, sk_swept **removed,
                       int *n_removed, sk_msg *msg) noexcept {
    if (removed)
        *removed = nullptr;
    if (n_removed)
        *n_removed = 0;
    return guarded(msg, [&] {
        if (!removed || !n_removed)
            throw Error("sweep needs somewhere to report what it removed");
        SweepOptions o;
        if (opts) {
            for (int i = 0; i < opts->n_spare; i++)
                o.spare.insert(str(opts->spare[i]));
            for (int i = 0; i < opts->n_completed; i++)
                o.completed.insert(str(opts->completed[i]));
            o.physical = opts->skip_physical == 0;
            o.logical = opts->skip_logical == 0;
        }
        SweepOutcome r = sweep_leftovers(to_config(cfg), o);
        if (!r.removed.empty()) {
            auto *out = static_cast<sk_swept *>(std::calloc(r.removed.size(), sizeof(sk_swept)));
            if (!out)
                throw std::bad_alloc();
            for (size_t i = 0; i < r.removed.size(); i++) {
                const Leftover &l = r.removed[i];
                out[i].repo = l.repo;
                copy_str(out[i].kind, sizeof out[i].kind, l.kind);
                copy_str(out[i].label, sizeof out[i].label, l.label);
                copy_str(out[i].location, sizeof out[i].location, l.location);
                out[i].expired = l.expired ? 1 : 0;
            }
            *removed = out;
            *n_removed = static_cast<int>(r.removed.size());
        }
        if (r.errors.empty())
            return SK_OK;
        std::string text;
        for (const auto &e : r.errors)
            text += (text.empty() ? "" : "; ") + e;
        set_msg(msg, text.c_str());
        return SK_ERROR;
    });
}

int sk_restore(const sk_config *cfg, const sk_restore_opts *opts, sk_cancel_fn cancel,
               sk_restore_result *res, sk_msg *msg) noexcept {
    return guarded(msg, [&] {
        if (!opts || !opts->pgdata)
            throw Error("restore needs a target data directory");
        RestoreRequest r = to_restore_request(opts);
        RestoreOutcome o = restore_backup(to_config(cfg), r, to_cancel(cancel), {});
        fill_restore_result(res, o);
        set_msg(msg, ("restored backup " + o.label + " into " + r.pgdata).c_str());
        return SK_OK;
    });
}

char *sk_repo_info_json(const sk_config *cfg, int with_wal, sk_msg *msg) noexcept {
    char *out = nullptr;
    guarded(msg, [&] {
        std::string doc = repo_info_json(to_config(cfg), with_wal != 0);
        out = static_cast<char *>(std::malloc(doc.size() + 1));
        if (!out)
            throw std::bad_alloc();
        std::memcpy(out, doc.c_str(), doc.size() + 1);
        return SK_OK;
    });
    return out;
}

void sk_free(void *p) noexcept {
    std::free(p);
}

int sk_verify_backup(const sk_config *cfg, const char *label, int check_wal_to_newest,
                     sk_cancel_fn cancel, char **problems_json, sk_msg *msg) noexcept {
    if (problems_json)
        *problems_json = nullptr;
    return guarded(msg, [&] {
        if (!problems_json)
            throw Error("sk_verify_backup needs a result pointer");
        VerifyReport r =
            verify_backups(to_config(cfg), str(label), check_wal_to_newest != 0, to_cancel(cancel));
        *problems_json = dup_string(problems_json_text(r));
        set_msg(msg, ("verified " + std::to_string(r.checked.size()) +
                      " backup(s): " + std::to_string(r.problems.size()) + " problem(s)")
                         .c_str());
        return SK_OK;
    });
}

int sk_expire(const sk_config *cfg, const char *policy_json, int dry_run, char **plan_json,
              sk_msg *msg) noexcept {
    if (plan_json)
        *plan_json = nullptr;
    return guarded(msg, [&] {
        if (!plan_json)
            throw Error("sk_expire needs a result pointer");
        std::string plan = expire_all(to_config(cfg), str(policy_json), dry_run != 0);
        *plan_json = dup_string(plan);
        auto j = nlohmann::json::parse(plan);
        size_t expired = 0;
        for (const auto &b : j["backups"])
            expired += b["action"] == "expire";
        const uint64_t logical = j["logical"]["removed_count"].get<uint64_t>();
        set_msg(msg, ((dry_run ? std::string("would expire ") : std::string("expired ")) +
                      std::to_string(expired) + " backup(s)" +
                      (logical ? " (" + std::to_string(logical) + " logical)" : std::string()) +
                      " and " + std::to_string(j["wal"]["removed_count"].get<uint64_t>()) +
                      " WAL file(s)")
                         .c_str());
        return SK_OK;
    });
}

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
            copy_str(out->last_xact_text, sizeof out->last_xact_text, f.last_xact->text);
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

namespace {
PgConnection to_conn(const sk_pg_conn *c) {
    if (!c)
        throw Error("no connection settings given");
    PgConnection p;
    p.bindir = str(c->bindir);
    p.host = str(c->host);
    p.port = c->port;
    p.user = str(c->user);
    p.dbname = str(c->dbname);
    return p;
}

std::vector<std::string> to_strings(const char *const *v, int n) {
    std::vector<std::string> out;
    for (int i = 0; v && i < n; i++)
        out.push_back(str(v[i]));
    return out;
}
} // namespace

extern "C" {

int sk_logical_backup(const sk_config *cfg, uint64_t system_id, const sk_pg_conn *conn,
                      int schema_only, const char *const *tables, const char *const *table_names,
                      int ntables, sk_cancel_fn cancel, char label[64], char **manifest_json,
                      sk_msg *msg) noexcept {
    return guarded(msg, [&] {
        LogicalDumpRequest req;
        req.conn = to_conn(conn);
        req.system_id = system_id;
        req.schema_only = schema_only != 0;
        req.tables = to_strings(tables, ntables);
        req.table_names = to_strings(table_names, ntables);
        req.cancel = to_cancel(cancel);
        LogicalDumpResult r = logical_dump(to_config(cfg), req);
        if (label)
            copy_str(label, 64, r.label);
        if (manifest_json)
            *manifest_json = dup_string(r.manifest_json);
        return SK_OK;
    });
}

int sk_logical_manifest(const sk_config *cfg, const char *label, char **manifest_json,
                        sk_msg *msg) noexcept {
    return guarded(msg, [&] {
        std::string m = logical_manifest_json(to_config(cfg), str(label));
        if (manifest_json)
            *manifest_json = dup_string(m);
        return SK_OK;
    });
}

int sk_logical_restore(const sk_config *cfg, const sk_pg_conn *conn, const char *label,
                       const char *const *tables, int ntables, sk_cancel_fn cancel,
                       sk_msg *msg) noexcept {
    return guarded(msg, [&] {
        LogicalRestoreRequest req;
        req.conn = to_conn(conn);
        req.label = str(label);
        req.tables = to_strings(tables, ntables);
        req.cancel = to_cancel(cancel);
        logical_restore(to_config(cfg), req);
        return SK_OK;
    });
}

int sk_logical_list_json(const sk_config *cfg, char **json, sk_msg *msg) noexcept {
    return guarded(msg, [&] {
        std::string j = logical_list_json(to_config(cfg));
        if (json)
            *json = dup_string(j);
        return SK_OK;
    });
}

} // extern "C"
