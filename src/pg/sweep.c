/*
 * sweep.c - leftovers out of the repositories: at launcher start-up and
 * before a backup job allocates its label, every backup/<label> and
 * logical/<label> without a manifest is removed (src/core/repo/sweep.h).
 * The backups running now are spared (labels from the job slots and the
 * catalog), and so are those the catalog knows as completed, unless
 * retention's expired/ note says their removal was cut short.
 */
#include "postgres.h"

#include "settings.h"
#include "job_slots.h"
#include "workers.h"
#include "spi_util.h"

#include "utils/builtins.h"

typedef struct Spared {
    const char **labels;
    int n;
    bool skip_physical;
    bool skip_logical;
} Spared;

/* Job slots other than own_slot.  A backup slot without a label yet may be
 * claiming one right now, and a logical backup publishes its label only with
 * its manifest: while either is about, its kind is left alone this time. */
static void spare_slots(int own_slot, Spared *s) {
    LWLockAcquire(sk_shared->lock, LW_SHARED);
    for (int i = 0; i < SK_MAX_JOBS; i++) {
        SkJobSlot *slot = &sk_shared->slots[i];
        bool active = slot->state == SK_SLOT_QUEUED || slot->state == SK_SLOT_RUNNING;

        if (i == own_slot || slot->state == SK_SLOT_FREE)
            continue;
        if (slot->label[0] != '\0')
            s->labels[s->n++] = pstrdup(slot->label);
        else if (active && slot->kind == SK_JOB_BACKUP)
            s->skip_physical = true;
        if (active && slot->kind == SK_JOB_LOGICAL)
            s->skip_logical = true;
    }
    LWLockRelease(sk_shared->lock);
}

/* Labels of catalog rows in one of the given states, space-separated, or NULL. */
static char *catalog_labels(const char *states) {
    const char *args[1];
    char *row[1];

    args[0] = states;
    if (!sk_query_in_xact("SELECT string_agg(label, ' ') FROM safekeep.backup_catalog "
                          "WHERE status = ANY (string_to_array($1, ','))",
                          1, args, row, 1))
        return NULL;
    return row[0];
}

/* Splits a space-separated list into labels[] (at most max); returns the count. */
static int split_labels(char *list, const char **labels, int n, int max) {
    char *save = NULL;

    if (list == NULL)
        return n;
    for (char *l = strtok_r(list, " ", &save); l != NULL && n < max; l = strtok_r(NULL, " ", &save))
        labels[n++] = l;
    return n;
}

void sk_sweep_repositories(int own_slot) {
    enum { max_spared = SK_MAX_JOBS + 64, max_completed = 100000 };
    const char **completed;
    int n_completed;
    sk_config cfg;
    char stanza[32];
    sk_msg msg;
    sk_sweep_opts opts;
    Spared spared;
    sk_swept *found = NULL;
    sk_swept *removed;
    int n = 0;
    int rc;

    if (!sk_any_repo_configured())
        return;
    memset(&spared, 0, sizeof(spared));
    spared.labels = palloc0(sizeof(char *) * max_spared);
    spare_slots(own_slot, &spared);
    /* Rows still 'running': a backup whose worker has not reported. */
    spared.n = split_labels(catalog_labels("running"), spared.labels, spared.n, max_spared);
    completed = palloc0(sizeof(char *) * max_completed);
    n_completed = split_labels(catalog_labels("completed,missing"), completed, 0, max_completed);

    memset(&opts, 0, sizeof(opts));
    opts.spare = spared.labels;
    opts.n_spare = spared.n;
    opts.completed = completed;
    opts.n_completed = n_completed;
    opts.skip_physical = spared.skip_physical ? 1 : 0;
    opts.skip_logical = spared.skip_logical ? 1 : 0;
    sk_fill_config(&cfg, stanza, sizeof(stanza));
    rc = sk_sweep_leftovers(&cfg, &opts, &found, &n, &msg);
    /* Into palloc'd memory before anything here can ERROR. */
    removed = palloc0(sizeof(sk_swept) * (n > 0 ? n : 1));
    if (n > 0)
        memcpy(removed, found, sizeof(sk_swept) * n);
    sk_free(found);

    for (int i = 0; i < n; i++) {
        const char *args[5];
        char *row[1];

        args[0] = psprintf("%d", removed[i].repo);
        args[1] = removed[i].kind;
        args[2] = removed[i].label;
        args[3] = removed[i].location;
        args[4] = removed[i].expired ? "true" : "false";
        sk_query_in_xact("SELECT safekeep.record_swept($1::integer, $2, $3, $4, $5::boolean)", 5,
                         args, row, 1);
        ereport(LOG, (errmsg("pg_safekeep: %s", row[0])));
    }
    if (n > 0)
        ereport(LOG, (errmsg_plural(
                         "pg_safekeep: removed %d leftover directory without a manifest",
                         "pg_safekeep: removed %d leftover directories without a manifest", n, n)));
    if (rc != SK_OK)
        ereport(WARNING, (errmsg("pg_safekeep: could not sweep every leftover: %s", msg.text)));
}
