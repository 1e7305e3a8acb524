// Which files of a data directory a backup keeps: PostgreSQL 15's rules from
// src/backend/replication/basebackup.c. Pure functions, no file system access.
#pragma once

#include <set>
#include <string>

namespace safekeep {

enum class Exclusion {
    Keep,        // back it up
    Skip,        // leave it out entirely
    KeepDirOnly, // keep the (empty) directory, skip everything below it
};

// rel: path relative to pgdata with '/' separators; tablespace contents are
// pg_tblspc/<oid>/... . unlogged_relnodes: relfilenodes in rel's directory
// that have an _init fork (only consulted inside database directories).
Exclusion classify_path(const std::string &rel, bool is_dir,
                        const std::set<std::string> &unlogged_relnodes = {});

// base/<oid> or pg_tblspc/<oid>/PG_*/<oid>
bool is_database_dir(const std::string &rel_dir);

// t<digits>_<digits>[_fork][.segment]
bool looks_like_temp_rel_name(const std::string &name);

// A relation data file that PostgreSQL writes page by page with page LSNs:
// <digits>[_fork][.segment] in a database directory (base/<oid>,
// pg_tblspc/<oid>/PG_*/<oid>) or in global/.
bool is_relation_path(const std::string &rel);

// A relation file an incremental backup compares page by page: main and
// init forks. Free space map and visibility map forks are compared whole
// (size, mtime, sha256): their pages change without their LSN moving (FSM
// updates are not WAL-logged; clearing a VM bit does not set the VM page's
// LSN), so page LSNs cannot prove them unchanged.
bool is_page_compared(const std::string &rel);

// <digits>[_fork][.segment]; sets relnode and fork ("" for the main fork).
bool parse_relation_file_name(const std::string &name, std::string &relnode, std::string &fork);

} // namespace safekeep
