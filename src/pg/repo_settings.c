/*
 * repo_settings.c - the safekeep.repoN_* settings (N = 1..4) and
 * safekeep.max_rate, and their translation into sk_config.
 *
 * Secrets never live in postgresql.conf: credentials and passphrases are
 * read by the core from the files these settings name, and the names
 * themselves are visible to superusers only.
 */
#include "postgres.h"

#include "settings.h"

#include "fmgr.h"
#include "funcapi.h"
#include "utils/builtins.h"
#include "utils/tuplestore.h"

#include "miscadmin.h"
#include "utils/guc.h"

typedef struct RepoSettings {
    char *type;
    char *path;
    char *s3_endpoint;
    char *s3_bucket;
    char *s3_region;
    char *s3_prefix;
    char *s3_uri_style;
    bool s3_verify_tls;
    char *s3_ca_file;
    int s3_part_size_mb;
    char *s3_credentials_file;
    char *s3_profile;
    char *s3_storage_class;
    char *cipher;
    char *cipher_passphrase_file;
} RepoSettings;

static RepoSettings repo_settings[SK_MAX_REPOS];
int sk_max_rate = 0;
static char *archive_require = NULL;

/* Compatibility: repo1_path is what the shim's checks and messages use. */
char *sk_repo1_path = NULL;

static void define_string(int n, const char *name, const char *desc, char **var, int flags) {
    DefineCustomStringVariable(psprintf("safekeep.repo%d_%s", n, name), desc, NULL, var, "",
                               PGC_SIGHUP, flags, NULL, NULL, NULL);
}

static void define_repo(int n) {
    RepoSettings *r = &repo_settings[n - 1];
    /* Shown only to superusers and pg_read_all_settings members: the
     * location of every byte of the cluster, and the files holding keys. */
    const int secret = GUC_SUPERUSER_ONLY;

    define_string(n, "type", "Repository kind: posix (a directory) or s3.", &r->type, 0);
    define_string(n, "path", "Directory of the repository (posix).",
                  n == 1 ? &sk_repo1_path : &r->path, secret);
    define_string(n, "s3_endpoint", "S3 endpoint URL (https:// when no scheme is given).",
                  &r->s3_endpoint, 0);
    define_string(n, "s3_bucket", "S3 bucket.", &r->s3_bucket, 0);
    define_string(n, "s3_region", "S3 region (default us-east-1).", &r->s3_region, 0);
    define_string(n, "s3_prefix", "Key prefix inside the bucket.", &r->s3_prefix, 0);
    define_string(n, "s3_uri_style", "path or host (virtual-hosted) style URLs.", &r->s3_uri_style,
                  0);
    DefineCustomBoolVariable(psprintf("safekeep.repo%d_s3_verify_tls", n),
                             "Verify the S3 server's TLS certificate.", NULL, &r->s3_verify_tls,
                             true, PGC_SIGHUP, 0, NULL, NULL, NULL);
    define_string(n, "s3_ca_file", "CA bundle that signs the S3 server's certificate.",
                  &r->s3_ca_file, 0);
    DefineCustomIntVariable(psprintf("safekeep.repo%d_s3_part_size", n),
                            "Multipart upload part size.", NULL, &r->s3_part_size_mb, 16, 5, 5120,
                            PGC_SIGHUP, GUC_UNIT_MB, NULL, NULL, NULL);
    define_string(n, "s3_credentials_file",
                  "File with the S3 keys, in the AWS shared-credentials format.",
                  &r->s3_credentials_file, secret);
    define_string(n, "s3_profile", "Profile of the credentials file (default: default).",
                  &r->s3_profile, 0);
    define_string(n, "s3_storage_class",
                  "S3 storage class of new objects (x-amz-storage-class), e.g. STANDARD_IA; "
                  "empty: the bucket's default.",
                  &r->s3_storage_class, 0);
    define_string(n, "cipher", "none or aes-256-gcm.", &r->cipher, 0);
    define_string(n, "cipher_passphrase_file", "File holding the repository passphrase.",
                  &r->cipher_passphrase_file, secret);
}

/* A typo ("1;2", "5") is refused when it is set; a repository that is not
 * configured is refused by the archive call, which names it. */
static bool check_archive_require(char **newval, void **extra, GucSource source) {
    sk_msg msg;

    if (sk_check_archive_require(*newval, &msg) == SK_OK)
        return true;
    GUC_check_errdetail("%s", msg.text);
    return false;
}

void sk_define_repo_settings(void) {
    for (int n = 1; n <= SK_MAX_REPOS; n++)
        define_repo(n);
    DefineCustomIntVariable("safekeep.max_rate",
                            "Kilobytes per second one backup job may write to its repositories.",
                            "Units are accepted, e.g. '10MB' (per second); 0 means no limit.",
                            &sk_max_rate, 0, 0, INT_MAX, PGC_SIGHUP, GUC_UNIT_KB, NULL, NULL, NULL);
    DefineCustomStringVariable(
        "safekeep.archive_require",
        "Repositories an archived WAL file must reach before archiving succeeds, e.g. '1'.",
        "Empty: every configured repository.  A file that misses another one is owed to it "
        "and copied there once it is back.",
        &archive_require, "", PGC_SIGHUP, 0, check_archive_require, NULL, NULL);
}

static bool repo_configured(int i) {
    RepoSettings *r = &repo_settings[i];
    const char *path = i == 0 ? sk_repo1_path : r->path;

    if (r->type && strcmp(r->type, "s3") == 0)
        return true;
    return path && path[0] != '\0';
}

bool sk_repo_configured(int n) {
    return n >= 1 && n <= SK_MAX_REPOS && repo_configured(n - 1);
}

bool sk_repo_is_s3(int n) {
    RepoSettings *r = &repo_settings[n - 1];

    return r->type != NULL && strcmp(r->type, "s3") == 0;
}

const char *sk_repo_posix_path(int n) {
    if (!sk_repo_configured(n) || sk_repo_is_s3(n))
        return NULL;
    return n == 1 ? sk_repo1_path : repo_settings[n - 1].path;
}

void sk_require_repo_number(int n, const char *what) {
    if (n < 1 || n > SK_MAX_REPOS)
        ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
                        errmsg("%s %d does not exist: repositories are numbered 1 to %d", what, n,
                               SK_MAX_REPOS)));
    if (!sk_repo_configured(n))
        ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
                        errmsg("%s %d is not configured", what, n),
                        errhint("Set safekeep.repo%d_path, or safekeep.repo%d_type = 's3' and its "
                                "s3 settings, and reload.",
                                n, n)));
}

PG_FUNCTION_INFO_V1(sk_sql_repositories);

/* repositories() -> (repository, kind, location, encrypted): one row per
 * configured repository, from the settings alone (no repository I/O, so a
 * repository that is down is listed too). */
Datum sk_sql_repositories(PG_FUNCTION_ARGS) {
    ReturnSetInfo *rsinfo = (ReturnSetInfo *)fcinfo->resultinfo;

    InitMaterializedSRF(fcinfo, 0);
    for (int n = 1; n <= SK_MAX_REPOS; n++) {
        RepoSettings *r = &repo_settings[n - 1];
        Datum values[4];
        bool nulls[4] = {false, false, false, false};

        if (!sk_repo_configured(n))
            continue;
        values[0] = Int32GetDatum(n);
        if (sk_repo_is_s3(n)) {
            values[1] = CStringGetTextDatum("s3");
            values[2] = CStringGetTextDatum(psprintf("s3://%s/%s", r->s3_bucket ? r->s3_bucket : "",
                                                     r->s3_prefix ? r->s3_prefix : ""));
        } else {
            values[1] = CStringGetTextDatum("posix");
            values[2] = CStringGetTextDatum(sk_repo_posix_path(n));
        }
        values[3] = BoolGetDatum(r->cipher != NULL && r->cipher[0] != '\0' &&
                                 strcmp(r->cipher, "none") != 0);
        tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
    }
    return (Datum)0;
}

bool sk_any_repo_configured(void) {
    for (int i = 0; i < SK_MAX_REPOS; i++)
        if (repo_configured(i))
            return true;
    return false;
}

void sk_require_repo(void) {
    if (!sk_any_repo_configured())
        ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
                        errmsg("no backup repository is configured"),
                        errhint("Set safekeep.repo1_path, or safekeep.repo1_type = 's3' and its "
                                "s3 settings, in postgresql.conf and reload.")));
}

void sk_fill_repos(sk_config *cfg) {
    for (int i = 0; i < SK_MAX_REPOS; i++) {
        RepoSettings *r = &repo_settings[i];
        sk_repo_config *c = &cfg->repos[i];

        memset(c, 0, sizeof(*c));
        if (!repo_configured(i))
            continue;
        c->type = r->type && r->type[0] ? r->type : "posix";
        c->path = i == 0 ? sk_repo1_path : r->path;
        c->s3_endpoint = r->s3_endpoint;
        c->s3_bucket = r->s3_bucket;
        c->s3_region = r->s3_region;
        c->s3_prefix = r->s3_prefix;
        c->s3_uri_style = r->s3_uri_style;
        c->s3_verify_tls = r->s3_verify_tls;
        c->s3_ca_file = r->s3_ca_file;
        c->s3_part_size_mb = r->s3_part_size_mb;
        c->s3_credentials_file = r->s3_credentials_file;
        c->s3_profile = r->s3_profile;
        c->s3_storage_class = r->s3_storage_class;
        c->cipher = r->cipher;
        c->cipher_passphrase_file = r->cipher_passphrase_file;
    }
    cfg->max_rate = (int64_t)sk_max_rate * 1024;
    cfg->archive_require = archive_require;
    cfg->state_dir = sk_state_dir();
}

/* PGDATA/pg_safekeep: the extension's own state (WAL owed to repositories);
 * its contents are left out of backups. */
const char *sk_state_dir(void) {
    static char dir[MAXPGPATH];

    if (dir[0] == '\0' && DataDir != NULL)
        snprintf(dir, sizeof(dir), "%s/pg_safekeep", DataDir);
    return dir[0] ? dir : NULL;
}
