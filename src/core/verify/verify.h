// Verification of backups in the repository: objects, chains and WAL.
#pragma once

#include "repo/config.h"
#include "util/parallel.h"

#include <string>
#include <vector>

namespace safekeep {

struct VerifyProblem {
    std::string label;  // backup concerned
    std::string kind;   // manifest, chain, missing_object, corrupt_object, missing_wal, corrupt_wal
    std::string object; // repository path relative to the stanza, or WAL file name
    std::string detail;
};

struct VerifyReport {
    std::vector<std::string> checked; // labels verified
    std::vector<VerifyProblem> problems;
};

// label empty: every backup. Throws NotFound for an unknown label. For each
// backup: the manifest parses; the chain is complete (prior and every backup
// a reference or block map names exists and stores what is named, block maps
// cover the file); every object of the backup is present, its stored size
// and the sha256 and size of its decompressed bytes match the manifest
// (objects of earlier backups it reads from: present with the right stored
// size); WAL from the start to the stop segment is present with a matching
// sha256, and with wal_to_newest every segment after it up to the newest
// archived one is present (following timeline switches).
VerifyReport verify_backups(const Config &cfg, const std::string &label, bool wal_to_newest,
                            const CancelPoll &cancel);

std::string problems_json(const std::vector<VerifyProblem> &problems);

} // namespace safekeep
