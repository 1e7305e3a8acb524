#include "backup/exclude.h"

#include <cctype>
#include <cstring>
#include <vector>

namespace safekeep {

namespace {

// Directories whose contents are runtime state, recreated empty on restore.
// pg_safekeep: the extension's markers of WAL owed to a repository, true of
// this server only.
const char *const kDirContentsExcluded[] = {"pg_dynshmem", "pg_notify",    "pg_replslot",
                                            "pg_serial",   "pg_snapshots", "pg_stat_tmp",
                                            "pg_subtrans", "pg_wal",       "pg_safekeep"};

// Files that belong to the running server or to another backup.
const char *const kFilesExcluded[] = {
    "postgresql.auto.conf.tmp", "current_logfiles", "current_logfiles.tmp", "backup_label",
    "tablespace_map",           "backup_manifest",  "postmaster.pid",       "postmaster.opts"};

std::vector<std::string> split(const std::string &path) {
    std::vector<std::string> parts;
    size_t start = 0;
    while (start <= path.size()) {
        size_t end = path.find('/', start);
        if (end == std::string::npos)
            end = path.size();
        if (end > start)
            parts.push_back(path.substr(start, end - start));
        start = end + 1;
    }
    return parts;
}

bool all_digits(const std::string &s) {
    if (s.empty())
        return false;
    for (char c : s)
        if (!std::isdigit(static_cast<unsigned char>(c)))
            return false;
    return true;
}

// Parses digits at pos; returns the position after them (pos if none).
size_t skip_digits(const std::string &s, size_t pos) {
    while (pos < s.size() && std::isdigit(static_cast<unsigned char>(s[pos])))
        pos++;
    return pos;
}

// Optional "_fsm|_vm|_init" then optional ".<digits>", then end of name.
bool parse_fork_and_segment(const std::string &s, size_t pos, std::string &fork) {
    fork.clear();
    if (pos < s.size() && s[pos] == '_') {
        for (const char *f : {"fsm", "vm", "init"}) {
            size_t n = std::strlen(f);
            if (s.compare(pos + 1, n, f) == 0 &&
                (pos + 1 + n == s.size() || s[pos + 1 + n] == '.')) {
                fork = f;
                pos += 1 + n;
                break;
            }
        }
        if (fork.empty())
            return false;
    }
    if (pos < s.size()) {
        if (s[pos] != '.')
            return false;
        size_t end = skip_digits(s, pos + 1);
        if (end == pos + 1 || end != s.size())
            return false;
    }
    return true;
}

} // namespace

bool looks_like_temp_rel_name(const std::string &name) {
    if (name.size() < 4 || name[0] != 't')
        return false;
    size_t pos = skip_digits(name, 1);
    if (pos == 1 || pos >= name.size() || name[pos] != '_')
        return false;
    size_t end = skip_digits(name, pos + 1);
    if (end == pos + 1)
        return false;
    std::string fork;
    return parse_fork_and_segment(name, end, fork);
}

bool parse_relation_file_name(const std::string &name, std::string &relnode, std::string &fork) {
    size_t end = skip_digits(name, 0);
    if (end == 0)
        return false;
    if (!parse_fork_and_segment(name, end, fork))
        return false;
    relnode = name.substr(0, end);
    return true;
}

bool is_relation_path(const std::string &rel) {
    auto slash = rel.rfind('/');
    if (slash == std::string::npos)
        return false;
    std::string dir = rel.substr(0, slash), name = rel.substr(slash + 1), relnode, fork;
    if (dir != "global" && !is_database_dir(dir))
        return false;
    return parse_relation_file_name(name, relnode, fork);
}

bool is_page_compared(const std::string &rel) {
    if (!is_relation_path(rel))
        return false;
    std::string relnode, fork;
    parse_relation_file_name(rel.substr(rel.rfind('/') + 1), relnode, fork);
    return fork.empty() || fork == "init";
}

bool is_database_dir(const std::string &rel_dir) {
    auto p = split(rel_dir);
    if (p.size() == 2 && p[0] == "base" && all_digits(p[1]))
        return true;
    return p.size() == 4 && p[0] == "pg_tblspc" && all_digits(p[1]) &&
           p[2].compare(0, 3, "PG_") == 0 && all_digits(p[3]);
}

Exclusion classify_path(const std::string &rel, bool is_dir,
                        const std::set<std::string> &unlogged_relnodes) {
    auto parts = split(rel);
    if (parts.empty())
        return Exclusion::Keep;
    const std::string &name = parts.back();

    if (name.compare(0, 9, "pgsql_tmp") == 0)
        return Exclusion::Skip;

    if (parts.size() == 1 && is_dir)
        for (const char *d : kDirContentsExcluded)
            if (name == d)
                return Exclusion::KeepDirOnly;
    if (is_dir)
        return Exclusion::Keep;

    for (const char *f : kFilesExcluded)
        if (name == f)
            return Exclusion::Skip;
    // pg_internal.init and its temp files (pg_internal.init.<pid>)
    if (name.compare(0, 16, "pg_internal.init") == 0)
        return Exclusion::Skip;

    std::string parent = rel.substr(0, rel.size() - name.size());
    if (!parent.empty() && parent.back() == '/')
        parent.pop_back();
    if (is_database_dir(parent)) {
        if (looks_like_temp_rel_name(name))
            return Exclusion::Skip;
        std::string relnode, fork;
        if (parse_relation_file_name(name, relnode, fork) && fork != "init" &&
            unlogged_relnodes.count(relnode))
            return Exclusion::Skip;
    }
    return Exclusion::Keep;
}

} // namespace safekeep
