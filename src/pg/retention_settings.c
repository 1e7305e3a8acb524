/*
 * retention_settings.c - the retention settings, defined from the core's one
 * table of rules (sk_retention_rules): safekeep.<rule> for each rule,
 * safekeep.repoN_<rule> (N = 1..4, -1: the global value applies) for those
 * a repository may set for itself, and safekeep.wal_retention; and the
 * policy they make for sk_expire.
 */
#include "postgres.h"

#include "settings.h"
#include "json_out.h"

#include "utils/guc.h"
#include "utils/memutils.h"

/* Rule i's value, and repository n's own (-1: unset). */
static int *global_values;
static int *repo_values[SK_MAX_REPOS];
static int rule_count;
static const sk_retention_rule *rules;
static int wal_retention = 0;

static const struct config_enum_entry wal_retention_options[] = {
    {"all", 0, false}, {"consistent", 1, false}, {NULL, 0, false}};

/* GUC keeps the description pointers: they must live as long as the process. */
static char *lasting(const char *text) {
    return MemoryContextStrdup(TopMemoryContext, text);
}

static void define_repo_rule(int n, int i) {
    const sk_retention_rule *r = &rules[i];

    DefineCustomIntVariable(psprintf("safekeep.repo%d_%s", n, r->setting),
                            lasting(psprintf("Repository %d: %s", n, r->short_desc)),
                            lasting(psprintf("-1 (the default): safekeep.%s applies.", r->setting)),
                            &repo_values[n - 1][i], -1, -1, r->max, PGC_SIGHUP, 0, NULL, NULL,
                            NULL);
}

void sk_define_retention_settings(void) {
    rules = sk_retention_rules(&rule_count);
    global_values = MemoryContextAllocZero(TopMemoryContext, sizeof(int) * rule_count);
    for (int n = 0; n < SK_MAX_REPOS; n++)
        repo_values[n] = MemoryContextAllocZero(TopMemoryContext, sizeof(int) * rule_count);
    for (int i = 0; i < rule_count; i++) {
        const sk_retention_rule *r = &rules[i];

        DefineCustomIntVariable(psprintf("safekeep.%s", r->setting), r->short_desc, r->long_desc,
                                &global_values[i], r->default_value, r->min, r->max, PGC_SIGHUP, 0,
                                NULL, NULL, NULL);
        for (int n = 1; n <= SK_MAX_REPOS && r->per_repository; n++)
            define_repo_rule(n, i);
    }
    DefineCustomEnumVariable("safekeep.wal_retention",
                             "WAL kept: all from the oldest kept backup on, or only what each "
                             "kept backup needs to be consistent.",
                             NULL, &wal_retention, 0, wal_retention_options, PGC_SIGHUP, 0, NULL,
                             NULL, NULL);
}

/* Repository n's own rules as a JSON object, or NULL when it sets none. */
static char *repo_policy(int n) {
    StringInfoData own;
    bool any = false;

    initStringInfo(&own);
    for (int i = 0; i < rule_count; i++)
        if (rules[i].per_repository && repo_values[n - 1][i] >= 0) {
            sk_json_int(&own, rules[i].key, repo_values[n - 1][i]);
            any = true;
        }
    return any ? sk_json_end(&own) : NULL;
}

/* Every rule in one policy: one plan, one catalog update, one notification. */
char *sk_retention_policy_json(void) {
    StringInfoData logical;
    StringInfoData repos;
    StringInfoData policy;

    initStringInfo(&logical);
    initStringInfo(&repos);
    initStringInfo(&policy);
    for (int i = 0; i < rule_count; i++)
        sk_json_int(rules[i].logical ? &logical : &policy, rules[i].key, global_values[i]);
    sk_json_text(&policy, "wal", wal_retention == 0 ? "all" : "consistent");
    sk_json_raw(&policy, "logical", sk_json_end(&logical));
    for (int n = 1; n <= SK_MAX_REPOS; n++) {
        char *own = sk_repo_configured(n) ? repo_policy(n) : NULL;

        if (own)
            sk_json_raw(&repos, psprintf("%d", n), own);
    }
    if (repos.len > 0)
        sk_json_raw(&policy, "repositories", sk_json_end(&repos));
    return sk_json_end(&policy);
}
