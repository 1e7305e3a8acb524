/*
 * shmem.c - the job slots the SQL functions, the launcher and the job
 * workers share.  A SQL call fills a slot (QUEUED), the launcher starts a
 * worker for it (RUNNING), the worker writes the result (DONE) and wakes the
 * waiting backend, which frees the slot.
 */
#include "postgres.h"

#include "job_slots.h"

#include "miscadmin.h"
#include "storage/ipc.h"
#include "storage/shmem.h"

SkShared *sk_shared = NULL;

void sk_shmem_request(void) {
    RequestAddinShmemSpace(MAXALIGN(sizeof(SkShared)));
    RequestNamedLWLockTranche("pg_safekeep", 1);
}

void sk_shmem_startup(void) {
    bool found;

    LWLockAcquire(AddinShmemInitLock, LW_EXCLUSIVE);
    sk_shared = ShmemInitStruct("pg_safekeep", sizeof(SkShared), &found);
    if (!found) {
        memset(sk_shared, 0, sizeof(SkShared));
        sk_shared->lock = &(GetNamedLWLockTranche("pg_safekeep"))->lock;
    }
    LWLockRelease(AddinShmemInitLock);
}

SkShared *sk_shared_or_error(void) {
    if (sk_shared == NULL)
        ereport(ERROR,
                (errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
                 errmsg("pg_safekeep is not loaded through shared_preload_libraries"),
                 errhint("Add pg_safekeep to shared_preload_libraries and restart the server.")));
    return sk_shared;
}

void sk_set_archive_error(const char *error) {
    if (sk_shared == NULL)
        return;
    LWLockAcquire(sk_shared->lock, LW_EXCLUSIVE);
    strlcpy(sk_shared->archive_error, error ? error : "", sizeof(sk_shared->archive_error));
    LWLockRelease(sk_shared->lock);
}

bool sk_last_archive_error(char *buf, size_t len) {
    if (sk_shared == NULL)
        return false;
    LWLockAcquire(sk_shared->lock, LW_SHARED);
    strlcpy(buf, sk_shared->archive_error, len);
    LWLockRelease(sk_shared->lock);
    return buf[0] != '\0';
}

bool sk_slot_finish(int slotno, int64 job_id, bool success, const char *result, const char *error) {
    SkJobSlot *slot = &sk_shared->slots[slotno];
    PGPROC *waiter;

    LWLockAcquire(sk_shared->lock, LW_EXCLUSIVE);
    if (slot->job_id != job_id || slot->state == SK_SLOT_FREE || slot->state == SK_SLOT_DONE) {
        LWLockRelease(sk_shared->lock);
        return false;
    }
    slot->success = success;
    strlcpy(slot->result, result ? result : "", sizeof(slot->result));
    strlcpy(slot->error, error ? error : "", sizeof(slot->error));
    if (slot->kind == SK_JOB_BACKUP)
        sk_shared->backup_running = false;
    waiter = slot->waiter;
    if (slot->waiter_gone)
        slot->state = SK_SLOT_FREE;
    else
        slot->state = SK_SLOT_DONE;
    LWLockRelease(sk_shared->lock);

    if (waiter)
        SetLatch(&waiter->procLatch);
    return true;
}
