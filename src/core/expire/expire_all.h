// One expire run: in every repository, with its own policy, physical
// retention (repo/retention.h) then logical retention (logical/expire.h).
// The typed entry point the C API and the tool both call.
#pragma once

#include "logical/expire.h"
#include "repo/config.h"
#include "repo/retention.h"
#include "repo/retention_rules.h"

#include <cstdint>
#include <string>
#include <vector>

namespace safekeep {

// One repository's part of an expire run.
struct RepositoryExpire {
    int repository = 0;
    std::string error; // non-empty: it could not be expired (the rest is empty)
    RetentionPolicy policy;
    PhysicalExpire physical;
    std::vector<LogicalOutcome> logical; // label order
    uint64_t logical_removed_count = 0, logical_removed_bytes = 0;

    size_t expired_physical() const;
};

struct ExpireResult {
    bool dry_run = false;
    LogicalRetention logical;
    std::vector<RepositoryExpire> repositories; // in repository order

    // "[would ]expire[d] N backup(s)[ (M logical)] and W WAL file(s)", summed
    // over the repositories, then "; repository N could not be expired: ..."
    // for each that failed.
    std::string summary() const;
    bool any_failed() const;
};

// Every configured repository (cfg.read_repo set: only that one), each with
// settings.for_repository(its number). A repository that cannot be opened
// or fails half-way is reported with its error and the others still run;
// when every one fails, throws (the one error itself when there is one).
ExpireResult expire_all(const Config &cfg, const RetentionSettings &settings, bool dry_run,
                        int64_t now);

// The result as the C API and the tool's --output=json give it (capi.h, sk_expire).
std::string expire_result_json(const ExpireResult &result);

} // namespace safekeep
