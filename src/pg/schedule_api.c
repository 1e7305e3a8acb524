/*
 * schedule_api.c - safekeep._cron_next(expr, after): the core's cron
 * evaluator (UTC) for the schedule functions, the schedules table's check
 * and the launcher.
 */
#include "postgres.h"

#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"

#include "pg_safekeep/capi.h"

PG_FUNCTION_INFO_V1(sk_sql_cron_next);

/* _cron_next(expr text, after timestamptz) -> the first matching minute after it */
Datum sk_sql_cron_next(PG_FUNCTION_ARGS) {
    char *expr = text_to_cstring(PG_GETARG_TEXT_PP(0));
    TimestampTz after = PG_GETARG_TIMESTAMPTZ(1);
    int64 secs;
    int64 next;
    sk_msg msg;

    if (TIMESTAMP_NOT_FINITE(after))
        ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
                        errmsg("the time to schedule after must be finite")));
    /* Whole seconds, rounded down (also before 2000, where after is negative). */
    secs = after / USECS_PER_SEC;
    if (after % USECS_PER_SEC < 0)
        secs--;
    secs += (int64)(POSTGRES_EPOCH_JDATE - UNIX_EPOCH_JDATE) * SECS_PER_DAY;
    if (sk_cron_next(expr, secs, &next, &msg) != SK_OK)
        ereport(ERROR,
                (errcode(ERRCODE_INVALID_PARAMETER_VALUE), errmsg("%s", msg.text),
                 errhint("A cron expression has five fields, minute hour day-of-month month "
                         "day-of-week, evaluated in UTC; \"0 2 * * *\" is 02:00 UTC every day.")));
    PG_RETURN_TIMESTAMPTZ(time_t_to_timestamptz((pg_time_t)next));
}
