// sk_config for one local repository (the C API's shape, as the shim fills it).
#pragma once

#include "pg_safekeep/capi.h"

namespace safekeep::test {

inline sk_config posix_config(const char *repo, const char *stanza, int level, int parallel) {
    sk_config c{};
    c.repos[0].type = "posix";
    c.repos[0].path = repo;
    c.stanza = stanza;
    c.compress_level = level;
    c.parallel = parallel;
    return c;
}

} // namespace safekeep::test
