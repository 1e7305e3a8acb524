/*
 * spi_util.h - small SPI helpers (spi_util.c).
 */
#ifndef SAFEKEEP_SPI_UTIL_H
#define SAFEKEEP_SPI_UTIL_H

#include "postgres.h"

#include "utils/elog.h"

/* ---- small SPI helpers (spi_util.c) --------------------------------------- */
/* Run a query with text parameters in the current transaction; copy the first
 * row's columns into out[] (allocated in result_cxt).  False: no row. */
extern bool sk_spi_query(const char *sql, int nargs, const char **args, char **out, int nout,
                         MemoryContext result_cxt);
/* Run one statement with text parameters in its own transaction. */
extern void sk_exec_in_xact(const char *sql, int nargs, const char **args);
extern bool sk_extension_exists(void);
/* This database's name, in the caller's memory context (own transaction). */
extern char *sk_current_database_name(void);
/* Run a query in its own transaction; copy the first row's columns (NULL ->
 * NULL) into out[] allocated in the caller's memory context.  Returns false
 * when there was no row. */
extern bool sk_query_in_xact(const char *sql, int nargs, const char **args, char **out, int nout);
/* Run fn(arg) in a subtransaction of the current transaction, which it then
 * keeps (keep) or rolls back.  An ERROR rolls it back and comes back as
 * false with *err (in the caller's memory context) instead of aborting the
 * caller's transaction. */
extern bool sk_in_subxact(void (*fn)(void *), void *arg, bool keep, ErrorData **err);

#endif
