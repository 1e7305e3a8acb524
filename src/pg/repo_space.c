/*
 * repo_space.c - free space in the file system of each repository, for the
 * pre-backup checks and safekeep.repository_usage.  statvfs is plain libc:
 * no need to go through the core.
 */
#include "postgres.h"

#include "settings.h"
#include "job.h"

#include <sys/statvfs.h>

#include "fmgr.h"
#include "funcapi.h"
#include "utils/builtins.h"
#include "utils/tuplestore.h"

PG_FUNCTION_INFO_V1(sk_sql_repository_space);

bool sk_fs_space(const char *path, uint64 *avail, uint64 *total) {
    struct statvfs st;

    if (statvfs(path, &st) != 0)
        return false;
    /* f_bavail: what an unprivileged writer (the server's user) may use. */
    *avail = (uint64)st.f_bavail * st.f_frsize;
    *total = (uint64)st.f_blocks * st.f_frsize;
    return true;
}

/* repository_space() -> (repository, free_bytes, total_bytes); one row per
 * configured repository ("repoN"), NULLs for object storage (it has no file
 * system to fill) and when statvfs fails. */
Datum sk_sql_repository_space(PG_FUNCTION_ARGS) {
    ReturnSetInfo *rsinfo = (ReturnSetInfo *)fcinfo->resultinfo;

    InitMaterializedSRF(fcinfo, 0);
    for (int n = 1; n <= SK_MAX_REPOS; n++) {
        const char *path = sk_repo_posix_path(n);
        uint64 avail;
        uint64 total;
        Datum values[3];
        bool nulls[3] = {false, true, true};

        if (!sk_repo_configured(n))
            continue;
        values[0] = CStringGetTextDatum(psprintf("repo%d", n));
        if (path != NULL && sk_fs_space(path, &avail, &total)) {
            values[1] = Int64GetDatum((int64)avail);
            values[2] = Int64GetDatum((int64)total);
            nulls[1] = nulls[2] = false;
        }
        tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
    }
    return (Datum)0;
}
