// The C interface, part 3: logical backups (pg_dump / pg_restore).
#include "capi_support.h"

using namespace safekeep;

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
            *manifest_json = dup_string(logical_manifest_text(r.manifest));
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
