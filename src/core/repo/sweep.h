// Leftovers: a directory (posix) or prefix (S3) under a stanza's backup/ or
// logical/ that holds no manifest.json. It is not a backup (read_manifests
// skips it): a failed backup whose discard did not happen (the job worker was
// SIGKILLed, the repository refused the removal) or one whose removal by
// retention was cut short between the manifest and the rest. The sweep
// removes them in every configured repository; a directory whose manifest is
// present is never touched, even if that manifest is damaged (verify reports
// that).
#pragma once

#include "repo/config.h"
#include "repo/layout.h"

#include <set>
#include <string>
#include <vector>

namespace safekeep {

struct SweepOptions {
    std::set<std::string> spare; // labels of backups running now: never removed
    // Labels the catalog knows as completed: without a manifest they are a
    // missing_backup (someone moved it away), kept for the DBA, unless
    // retention's expired/<label> note says it was being removed (physical
    // backups only: logical ones have no such note).
    std::set<std::string> completed;
    bool physical = true; // sweep backup/
    bool logical = true;  // sweep logical/
};

struct Leftover {
    int repo = 1;         // repository number
    std::string kind;     // "backup" or "logical"
    std::string label;    // the directory's name
    std::string location; // where it was, for messages
    bool expired = false; // retention had written expired/<label>: its removal was cut short
};

struct SweepOutcome {
    std::vector<Leftover> removed;
    std::vector<std::string> errors; // a repository or directory that could not be swept
};

// One repository's stanza; errors go into out, the sweep goes on.
void sweep_layout(const RepoLayout &repo, int number, const SweepOptions &opts, SweepOutcome &out);
// Every configured repository (each on its own, not through a fan-out, which
// lists only its first member).
SweepOutcome sweep_leftovers(const Config &cfg, const SweepOptions &opts);

} // namespace safekeep
