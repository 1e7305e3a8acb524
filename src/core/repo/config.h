// Repository settings in C++ form (capi.cpp converts sk_config into this).
#pragma once

#include <string>

namespace safekeep {

struct Config {
    std::string repo_root;
    std::string stanza; // empty: system id (writes) or the only stanza (reads)
    int compress_level = 3;
    int parallel = 1;
};

} // namespace safekeep
