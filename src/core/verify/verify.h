// Verification of backups in the repository: objects, chains and WAL.
#pragma once

#include "repo/config.h"
#include "os/parallel.h"

#include <string>
#include <vector>

namespace safekeep {

struct VerifyProblem {
    std::string label;  // backup concerned
    std::string kind;   // manifest, chain, missing_object, corrupt_object, missing_wal,
                        // corrupt_wal, duplicate_wal
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
// cover the file); every object its restore reads, its own and those of
// earlier backups of its chain, is present with its stored size and
// decompresses (and decrypts) to the size and sha256 the manifest records.
// A bad object is a problem row of every backup whose restore reads it, each
// row naming the object (backup/<holder>/...), whichever backup was asked
// for. WAL from the start to the stop segment, and with wal_to_newest every
// segment after it up to the newest archived one (following timeline
// switches through their history files), is present, decompresses to the
// sha256 in its object name and, for segments, is the whole segment its
// name says (page header: magic, page address, timeline, system id);
// more than one archived copy of a WAL file is a duplicate_wal problem.
VerifyReport verify_backups(const Config &cfg, const std::string &label, bool wal_to_newest,
                            const CancelPoll &cancel);

} // namespace safekeep
