// The C interface (capi.h). Every function is noexcept and turns every
// exception into a status plus message, so no C++ unwinding ever meets
// PostgreSQL's longjmp.
#include "capi_support.h"

#include <ctime>

using namespace safekeep;

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

int sk_wal_catch_up(const sk_config *cfg, uint64_t system_id, int pg_version, int *copied,
                    int *still_owed, sk_msg *msg) noexcept {
    return guarded(msg, [&] {
        CatchUpResult r = wal_catch_up(to_config(cfg), system_id, pg_version);
        if (copied)
            *copied = r.copied;
        if (still_owed)
            *still_owed = r.still_owed;
        set_msg(msg, r.error.c_str());
        return SK_OK;
    });
}

int sk_wal_owed_count(const char *state_dir) noexcept {
    try {
        return static_cast<int>(list_owed_wal(str(state_dir)).size());
    } catch (...) {
        return 0;
    }
}

int sk_check_archive_require(const char *value, sk_msg *msg) noexcept {
    return guarded(msg, [&] {
        parse_repo_list(str(value), SK_MAX_REPOS);
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
        if (res)
            fill_backup_result(res, o);
        set_msg(msg, ((o.manifest.type == "full" ? "" : o.manifest.type + " ") + "backup " +
                      o.label + " completed")
                         .c_str());
        return SK_OK;
    });
}

void sk_backup_result_free(sk_backup_result *res) noexcept {
    if (!res)
        return;
    for (int i = 0; i < res->n_repos; i++)
        std::free(res->repos[i].error);
    std::free(res->repos);
    std::free(res->manifest_path);
    res->repos = nullptr;
    res->n_repos = 0;
    res->manifest_path = nullptr;
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
            // Handed over first, so sk_swept_free releases a list cut short.
            *removed = c_array<sk_swept>(r.removed.size());
            *n_removed = static_cast<int>(r.removed.size());
            for (size_t i = 0; i < r.removed.size(); i++) {
                const Leftover &l = r.removed[i];
                sk_swept &out = (*removed)[i];
                out.repo = l.repo;
                copy_str(out.kind, sizeof out.kind, l.kind);
                copy_str(out.label, sizeof out.label, l.label);
                out.location = dup_string(l.location);
                out.expired = l.expired ? 1 : 0;
            }
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

void sk_swept_free(sk_swept *removed, int n) noexcept {
    if (!removed)
        return;
    for (int i = 0; i < n; i++)
        std::free(removed[i].location);
    std::free(removed);
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
        out = dup_string(repo_info_json(read_repo_info(to_config(cfg)), with_wal != 0).dump());
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
        *problems_json = dup_string(verify_problems_json(r.problems).dump());
        set_msg(msg, verify_summary(r).c_str());
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
        int64_t now = static_cast<int64_t>(std::time(nullptr));
        const RetentionSettings settings = parse_retention_settings(str(policy_json), &now);
        const ExpireResult result = expire_all(to_config(cfg), settings, dry_run != 0, now);
        *plan_json = dup_string(expire_result_json(result));
        set_msg(msg, result.summary().c_str());
        return SK_OK;
    });
}

const sk_retention_rule *sk_retention_rules(int *count) noexcept {
    // Built once from the core's table; its strings are static.
    static const std::vector<sk_retention_rule> rules = [] {
        std::vector<sk_retention_rule> out;
        for (const auto &r : retention_rules())
            out.push_back({r.setting, r.key, r.logical ? 1 : 0, r.per_repository ? 1 : 0, r.min,
                           r.max, r.setting_default, r.short_desc, r.long_desc});
        return out;
    }();
    if (count)
        *count = static_cast<int>(rules.size());
    return rules.data();
}

} // extern "C"
