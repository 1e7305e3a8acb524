/*
 * json_out.c - flat JSON objects for SPI parameters (::jsonb).  Every string
 * goes through PostgreSQL's escape_json(): a repository path, a label or an
 * error message may hold '"' or '\\', and pasted in with %s it would break
 * the jsonb cast after the work it records was done.
 */
#include "postgres.h"

#include "json_out.h"

#include "utils/json.h"

static void key(StringInfo buf, const char *name) {
    if (buf->len == 0)
        appendStringInfoChar(buf, '{');
    else
        appendStringInfoChar(buf, ',');
    escape_json(buf, name);
    appendStringInfoChar(buf, ':');
}

void sk_json_text(StringInfo buf, const char *name, const char *value) {
    key(buf, name);
    if (value == NULL)
        appendStringInfoString(buf, "null");
    else
        escape_json(buf, value);
}

void sk_json_int(StringInfo buf, const char *name, int64 value) {
    key(buf, name);
    appendStringInfo(buf, INT64_FORMAT, value);
}

void sk_json_uint(StringInfo buf, const char *name, uint64 value) {
    key(buf, name);
    appendStringInfo(buf, UINT64_FORMAT, value);
}

void sk_json_double(StringInfo buf, const char *name, double value, int digits) {
    key(buf, name);
    appendStringInfo(buf, "%.*f", digits, value);
}

void sk_json_raw(StringInfo buf, const char *name, const char *json) {
    key(buf, name);
    appendStringInfoString(buf, json);
}

char *sk_json_end(StringInfo buf) {
    if (buf->len == 0)
        appendStringInfoChar(buf, '{');
    appendStringInfoChar(buf, '}');
    return buf->data;
}
