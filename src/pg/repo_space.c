/*
 * repo_space.c - free space in the file system of each repository, for the
 * pre-backup checks and safekeep.repository_usage.  statvfs is plain libc:
 * no need to go through the core.
 */
#include "safekeep.h"

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
 * configured repository (today repo1), NULLs when statvfs fails. */
Datum sk_sql_repository_space(PG_FUNCTION_ARGS) {
    ReturnSetInfo *rsinfo = (ReturnSetInfo *)fcinfo->resultinfo;
    uint64 avail;
    uint64 total;
    Datum values[3];
    bool nulls[3] = {false, false, false};

    InitMaterializedSRF(fcinfo, 0);
    if (sk_repo1_path == NULL || sk_repo1_path[0] == '\0')
        return (Datum)0;
    values[0] = CStringGetTextDatum("repo1");
    if (sk_fs_space(sk_repo1_path, &avail, &total)) {
        values[1] = Int64GetDatum((int64)avail);
        values[2] = Int64GetDatum((int64)total);
    } else
        nulls[1] = nulls[2] = true;
    tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
    return (Datum)0;
}
