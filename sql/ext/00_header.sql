-- pg_safekeep 0.1.0: catalog, job functions and health checks.
\echo Use "CREATE EXTENSION pg_safekeep" to load this file. \quit
