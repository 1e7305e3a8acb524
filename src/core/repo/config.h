// Repository settings in C++ form (capi.cpp converts sk_config into this).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace safekeep {

struct S3Spec {
    std::string endpoint, bucket, region, prefix;
    std::string uri_style = "path"; // path | host
    bool verify_tls = true;
    std::string ca_file;
    std::string storage_class; // "": the bucket's default
    size_t part_size = 16 << 20;
    std::string credentials_file, profile = "default";
};

// One configured repository.
struct RepoSpec {
    int number = 1;             // N of safekeep.repoN_*
    std::string type = "posix"; // posix | s3
    std::string path;           // posix root
    S3Spec s3;
    std::string cipher = "none"; // none | aes-256-gcm
    std::string passphrase_file;

    static RepoSpec posix(const std::string &path, int number = 1) {
        RepoSpec r;
        r.number = number;
        r.path = path;
        return r;
    }
};

struct Config {
    // The repositories, in order of their numbers. When empty, repo_root is
    // repository 1 (a directory): the shorthand tests and callers with one
    // local repository use.
    std::vector<RepoSpec> repos;
    std::string repo_root;
    std::string stanza; // empty: system id (writes) or the only stanza (reads)
    int compress_level = 3;
    int parallel = 1;
    int read_repo = 0;     // reads: this repository number, or 0 for the first one
    uint64_t max_rate = 0; // bytes per second a backup job writes; 0 = no limit
    // WAL: repositories an archived file must reach ("1,2"; "" = every one);
    // a file that misses another one is owed to it, marked in state_dir.
    std::string archive_require;
    std::string state_dir; // e.g. PGDATA/pg_safekeep; "" = nothing is owed

    // repos, or repo 1 made of repo_root.
    std::vector<RepoSpec> effective_repos() const {
        if (!repos.empty() || repo_root.empty())
            return repos;
        return {RepoSpec::posix(repo_root)};
    }
};

} // namespace safekeep
