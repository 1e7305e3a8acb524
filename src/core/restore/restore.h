// Restores a backup into an empty data directory and sets up recovery.
#pragma once

#include "repo/config.h"
#include "restore/select.h"
#include "util/conf_writer.h"
#include "os/parallel.h"

#include <cstdint>
#include <string>

namespace safekeep {

struct RestoreRequest {
    std::string pgdata;
    std::string label; // empty: choose by target
    RestoreTarget target;
    std::string tool_path;
    bool tablespaces_in_place = false;
    ConfSettings extra_settings; // after the recovery settings (later ones win)
    std::string archive_mode;    // "" or "preserve": unchanged; "off"
    std::string target_timeline; // "": PostgreSQL's default; "current", "latest", N
};

struct RestoreOutcome {
    std::string label;
    uint64_t file_count = 0;
    uint64_t bytes = 0;
};

RestoreOutcome restore_backup(const Config &cfg, const RestoreRequest &req,
                              const CancelPoll &cancel, const ProgressFn &progress);

} // namespace safekeep
