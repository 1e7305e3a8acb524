// Shared by the capi*.cpp files: the handle types, C-to-core conversions and
// guarded(), which maps every C++ exception onto a status and message so none
// crosses into C.
#pragma once

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

inline void set_msg(sk_msg *msg, const char *text) {
    if (msg)
        std::snprintf(msg->text, sizeof msg->text, "%s", text);
}

inline void clear_msg(sk_msg *msg) {
    if (msg)
        msg->text[0] = '\0';
}

inline std::string str(const char *s) {
    return s ? std::string(s) : std::string();
}

inline RepoSpec to_repo_spec(const sk_repo_config &r, int number) {
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
    spec.s3.storage_class = str(r.s3_storage_class);
    if (r.s3_part_size_mb > 0)
        spec.s3.part_size = static_cast<size_t>(r.s3_part_size_mb) << 20;
    spec.s3.credentials_file = str(r.s3_credentials_file);
    spec.s3.profile = str(r.s3_profile).empty() ? "default" : str(r.s3_profile);
    spec.cipher = str(r.cipher).empty() ? "none" : str(r.cipher);
    spec.passphrase_file = str(r.cipher_passphrase_file);
    return spec;
}

inline Config to_config(const sk_config *cfg) {
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
    c.archive_require = str(cfg->archive_require);
    c.state_dir = str(cfg->state_dir);
    return c;
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

inline std::string problems_json_text(const VerifyReport &r) {
    return problems_json(r.problems);
}

inline void copy_str(char *dst, size_t size, const std::string &src) {
    std::snprintf(dst, size, "%s", src.c_str());
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
