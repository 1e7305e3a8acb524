// The C interface (capi.h). Every function is noexcept and turns every
// exception into a status plus message, so no C++ unwinding ever meets
// PostgreSQL's longjmp.
#include "capi_support.h"

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

} // extern "C"
