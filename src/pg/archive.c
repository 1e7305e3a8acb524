/*
 * archive.c - the archive module (archive_library = 'pg_safekeep').
 *
 * Runs in the archiver, which has no database connection.  An ERROR here
 * would become FATAL and take the archiver down, so the callback installs
 * its own error handler (as contrib/basic_archive does) and turns every
 * failure into "return false": PostgreSQL keeps the segment and retries.
 * Returning true promises the file is durable in the repository.
 */
#include "postgres.h"

#include "settings.h"
#include "job_slots.h"

#include "access/xlog.h"
#include "miscadmin.h"
#include "postmaster/pgarch.h"
#include "storage/fd.h"
#include "utils/memutils.h"

PGDLLEXPORT void _PG_archive_module_init(ArchiveModuleCallbacks *cb);

static MemoryContext archive_context = NULL;

static bool archive_configured(void) {
    return sk_any_repo_configured();
}

static bool push_file(const char *file, const char *path) {
    sk_config cfg;
    char stanza[32];
    sk_msg msg;

    sk_fill_config(&cfg, stanza, sizeof(stanza));
    if (sk_archive_push(&cfg, GetSystemIdentifier(), PG_VERSION_NUM, file, path, &msg) != SK_OK) {
        ereport(WARNING, (errmsg("pg_safekeep could not archive \"%s\": %s", file, msg.text)));
        sk_set_archive_error(psprintf("could not archive \"%s\": %s", file, msg.text));
        return false;
    }
    sk_set_archive_error(NULL);
    return true;
}

static bool archive_file(const char *file, const char *path) {
    sigjmp_buf local_sigjmp_buf;
    MemoryContext oldcontext;
    bool ok;

    if (archive_context == NULL)
        archive_context =
            AllocSetContextCreate(TopMemoryContext, "pg_safekeep archive", ALLOCSET_DEFAULT_SIZES);
    oldcontext = MemoryContextSwitchTo(archive_context);

    if (sigsetjmp(local_sigjmp_buf, 1) != 0) {
        /* Not PG_TRY: reset the error stack by hand, as basic_archive does. */
        error_context_stack = NULL;
        HOLD_INTERRUPTS();
        EmitErrorReport();
        FlushErrorState();
        MemoryContextSwitchTo(oldcontext);
        MemoryContextReset(archive_context);
        PG_exception_stack = NULL;
        RESUME_INTERRUPTS();
        return false;
    }
    PG_exception_stack = &local_sigjmp_buf;

    ok = push_file(file, path);

    PG_exception_stack = NULL;
    MemoryContextSwitchTo(oldcontext);
    MemoryContextReset(archive_context);
    return ok;
}

void _PG_archive_module_init(ArchiveModuleCallbacks *cb) {
    AssertVariableIsOfType(&_PG_archive_module_init, ArchiveModuleInit);

    cb->check_configured_cb = archive_configured;
    cb->archive_file_cb = archive_file;
    cb->shutdown_cb = NULL;
}
