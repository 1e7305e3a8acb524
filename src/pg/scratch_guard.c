/*
 * scratch_guard.c - a scratch copy's server is a postmaster of its own
 * (pg_ctl-started, reparented to init): nothing stops it when this process
 * ends, unless we do.  Every exit path of a job worker goes through
 * proc_exit -- an ERROR caught by the job, a FATAL, and a WaitLatch with
 * WL_EXIT_ON_PM_DEATH inside PostgreSQL (a lock wait) when the postmaster
 * died -- so a proc_exit callback stops and removes every copy still open.
 * Only SIGKILL of this process skips it; the launcher's start-up cleanup
 * (src/core/scratch/cleanup.cpp) stops those.
 */
#include "postgres.h"

#include "restored_copy.h"

#include "storage/ipc.h"

#define SK_MAX_GUARDED 4

static sk_instance *guarded[SK_MAX_GUARDED];
static bool callback_registered = false;

static void destroy_guarded(int code, Datum arg) {
    (void)code;
    (void)arg;
    for (int i = 0; i < SK_MAX_GUARDED; i++) {
        if (guarded[i] != NULL) {
            sk_instance *inst = guarded[i];

            guarded[i] = NULL;
            sk_instance_destroy(inst); /* noexcept; stops the server, removes the files */
        }
    }
}

void sk_scratch_guard(sk_instance *inst) {
    if (!callback_registered) {
        on_proc_exit(destroy_guarded, (Datum)0);
        callback_registered = true;
    }
    for (int i = 0; i < SK_MAX_GUARDED; i++) {
        if (guarded[i] == NULL) {
            guarded[i] = inst;
            return;
        }
    }
    /* A job opens one copy; more would be a bug. Do not leak this one. */
    sk_instance_destroy(inst);
    elog(ERROR, "too many scratch copies open in one process");
}

void sk_scratch_destroy(sk_instance *inst) {
    for (int i = 0; i < SK_MAX_GUARDED; i++)
        if (guarded[i] == inst)
            guarded[i] = NULL;
    sk_instance_destroy(inst);
}
