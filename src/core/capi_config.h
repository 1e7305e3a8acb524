// The C configuration (sk_config, capi.h) as the core's Config: shared by the
// C interface and the pg_safekeep tool, which calls the core directly.
#pragma once

#include "pg_safekeep/capi.h"
#include "repo/config.h"
#include "util/error.h"

#include <string>

namespace safekeep::capi_detail {

inline std::string str(const char *s) {
    return s ? std::string(s) : std::string();
}

inline RepoSpec to_repo_spec(const sk_repo_config &r, int number) {
    RepoSpec spec;
    spec.number = number;
    spec.type = str(r.type).empty() ? "posix" : str(r.type);
    spec.path = str(r.path);
    spec.s3.endpoint = str(r.s3_endpoint);
    spec.s3.bucket = str(r.s3_bucket);
    spec.s3.region = str(r.s3_region);
    spec.s3.prefix = str(r.s3_prefix);
    spec.s3.uri_style = str(r.s3_uri_style).empty() ? "path" : str(r.s3_uri_style);
    spec.s3.verify_tls = r.s3_verify_tls != 0;
    spec.s3.ca_file = str(r.s3_ca_file);
    spec.s3.storage_class = str(r.s3_storage_class);
    if (r.s3_part_size_mb > 0)
        spec.s3.part_size = static_cast<size_t>(r.s3_part_size_mb) << 20;
    spec.s3.credentials_file = str(r.s3_credentials_file);
    spec.s3.profile = str(r.s3_profile).empty() ? "default" : str(r.s3_profile);
    spec.cipher = str(r.cipher).empty() ? "none" : str(r.cipher);
    spec.passphrase_file = str(r.cipher_passphrase_file);
    return spec;
}

inline Config to_config(const sk_config *cfg) {
    if (!cfg)
        throw Error("no repository configuration given");
    Config c;
    // A repository is configured when its type is set (the shim and the tool
    // fill it in for every repository they know).
    for (int i = 0; i < SK_MAX_REPOS; i++)
        if (!str(cfg->repos[i].type).empty() || !str(cfg->repos[i].path).empty())
            c.repos.push_back(to_repo_spec(cfg->repos[i], i + 1));
    c.read_repo = cfg->read_repo;
    c.max_rate = cfg->max_rate > 0 ? static_cast<uint64_t>(cfg->max_rate) : 0;
    c.stanza = str(cfg->stanza);
    c.compress_level = cfg->compress_level;
    c.parallel = cfg->parallel < 1 ? 1 : cfg->parallel;
    c.archive_require = str(cfg->archive_require);
    c.state_dir = str(cfg->state_dir);
    return c;
}

} // namespace safekeep::capi_detail
