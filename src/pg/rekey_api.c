/*
 * rekey_api.c - safekeep.rotate_encryption_key(): re-wraps an encrypted
 * repository's data keys under a new passphrase (the core rewrites only
 * repo.json; no backup or WAL object is touched).
 */
#include "postgres.h"

#include "settings.h"

#include "fmgr.h"
#include "utils/builtins.h"

PG_FUNCTION_INFO_V1(sk_sql_rotate_encryption_key);

Datum sk_sql_rotate_encryption_key(PG_FUNCTION_ARGS) {
    int repo = PG_GETARG_INT32(0);
    char *file = text_to_cstring(PG_GETARG_TEXT_PP(1));
    sk_config cfg;
    char stanza[32];
    sk_msg msg;

    sk_require_admin("rotate encryption keys");
    if (repo < 1 || repo > SK_MAX_REPOS)
        ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
                        errmsg("repository number %d is out of range 1..%d", repo, SK_MAX_REPOS)));
    if (file[0] != '/')
        ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
                        errmsg("new passphrase file \"%s\" is not an absolute path", file)));
    sk_fill_config(&cfg, stanza, sizeof(stanza));
    if (sk_rekey(&cfg, repo, file, &msg) != SK_OK)
        ereport(ERROR, (errmsg("could not rotate the key of repository %d: %s", repo, msg.text)));
    PG_RETURN_TEXT_P(cstring_to_text(msg.text));
}
