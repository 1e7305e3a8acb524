/*
 * json_out.h - flat JSON objects built with PostgreSQL's escaping (json_out.c).
 */
#ifndef SAFEKEEP_JSON_OUT_H
#define SAFEKEEP_JSON_OUT_H

#include "postgres.h"

#include "lib/stringinfo.h"

/* A flat JSON object built field by field on an initStringInfo'd buf, the
 * strings escaped; sk_json_end closes it and returns buf->data (json_out.c). */
extern void sk_json_text(StringInfo buf, const char *name, const char *value);
extern void sk_json_int(StringInfo buf, const char *name, int64 value);
extern void sk_json_uint(StringInfo buf, const char *name, uint64 value);
extern void sk_json_double(StringInfo buf, const char *name, double value, int digits);
/* json: already JSON (an array or object the core built). */
extern void sk_json_raw(StringInfo buf, const char *name, const char *json);
extern char *sk_json_end(StringInfo buf);

#endif
