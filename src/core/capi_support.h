// Shared by the capi*.cpp files: the handle types, C-to-core conversions and
// guarded(), which maps every C++ exception onto a status and message so none
// crosses into C.
#pragma once

#include "pg_safekeep/capi.h"
#include "capi_config.h"

#include "backup/backup.h"
#include "logical/dump.h"
#include "repo/logical_list.h"
#include "logical/restore.h"
#include "notify/http_post.h"
#include "notify/smtp_mail.h"
#include "repo/catalog.h"
#include "expire/expire_all.h"
#include "info_json.h"
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
#include "verify_json.h"
#include "wal/archive.h"
#include "wal/archive_require.h"
#include "wal/owed.h"
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

namespace safekeep::capi_detail {

// A message longer than the buffer ends in "..." (capi.h, sk_msg).
inline void set_msg(sk_msg *msg, const char *text) {
    if (!msg)
        return;
    const size_t len = std::strlen(text);
    std::snprintf(msg->text, sizeof msg->text, "%s", text);
    if (len < sizeof msg->text)
        return;
    // Cut before a whole UTF-8 character: the shim hands the text to ereport.
    size_t cut = sizeof msg->text - 4;
    while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80)
        cut--;
    std::memcpy(msg->text + cut, "...", 4);
}

inline void clear_msg(sk_msg *msg) {
    if (msg)
        msg->text[0] = '\0';
}

inline CancelPoll to_cancel(sk_cancel_fn fn) {
    if (!fn)
        return {};
    return [fn]() { return fn() != 0; };
}

// Runs on the calling thread only; the relaxed atomic stores let another
// thread read the struct loosely without tearing.
inline ProgressFn to_progress(sk_progress *p) {
    if (!p)
        return {};
    return [p](const ProgressReport &r) {
        __atomic_store_n(&p->files_total, r.files_total, __ATOMIC_RELAXED);
        __atomic_store_n(&p->files_done, r.files_done, __ATOMIC_RELAXED);
        __atomic_store_n(&p->bytes_total, r.bytes_total, __ATOMIC_RELAXED);
        __atomic_store_n(&p->bytes_done, r.bytes_done, __ATOMIC_RELAXED);
    };
}

inline char *dup_string(const std::string &s) {
    char *out = static_cast<char *>(std::malloc(s.size() + 1));
    if (!out)
        throw std::bad_alloc();
    std::memcpy(out, s.c_str(), s.size() + 1);
    return out;
}

// Into one of capi.h's short fixed arrays, which hold only values with a
// grammar (labels, WAL names, hex digests, kinds): one that does not fit is an
// error, never cut.
inline void copy_str(char *dst, size_t size, const std::string &src) {
    if (src.size() >= size)
        throw Error("internal error: \"" + src.substr(0, 80) + "\" does not fit in " +
                    std::to_string(size - 1) + " bytes");
    std::memcpy(dst, src.c_str(), src.size() + 1);
}

// n zeroed elements for the C side (std::free); never NULL.
template <typename T> T *c_array(size_t n) {
    auto *out = static_cast<T *>(std::calloc(n ? n : 1, sizeof(T)));
    if (!out)
        throw std::bad_alloc();
    return out;
}

// A finished backup as capi.h's result; the allocated fields are set as they
// are made, so sk_backup_result_free releases a result cut short too.
inline void fill_backup_result(sk_backup_result *res, const BackupOutcome &o) {
    std::memset(res, 0, sizeof *res);
    copy_str(res->label, sizeof res->label, o.label);
    res->manifest_path = dup_string(o.manifest_path);
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
    res->repos = c_array<sk_repo_outcome>(o.repositories.size());
    res->n_repos = static_cast<int>(o.repositories.size());
    for (size_t i = 0; i < o.repositories.size(); i++) {
        const RepoOutcome &r = o.repositories[i];
        sk_repo_outcome &out = res->repos[i];
        out.repo = r.repo;
        copy_str(out.kind, sizeof out.kind, r.kind);
        out.landed = r.landed ? 1 : 0;
        out.error = dup_string(r.error);
    }
}

// sk_restore_opts as a RestoreRequest (pgdata as given).
inline RestoreRequest to_restore_request(const sk_restore_opts *opts) {
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

inline void fill_restore_result(sk_restore_result *res, const RestoreOutcome &o) {
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

} // namespace safekeep::capi_detail

using namespace safekeep::capi_detail;
