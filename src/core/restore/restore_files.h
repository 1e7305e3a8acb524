// Parallel, sha256-verified decompression of backup objects into pgdata.
#pragma once

#include "repo/chain.h"
#include "repo/manifest.h"
#include "os/parallel.h"

#include <string>
#include <vector>

namespace safekeep {

// Writes pgdata/<path> for every file (entries of chain.target()), with mode
// and mtime: whole objects are streamed, references read the holder's object,
// block-mapped files are reassembled from each holder's object with pwrite.
// Every object read is checked against its sha256 and size; files restored
// from one whole object (stored or referenced) against the file's sha256;
// block-mapped files by each holder object's sha256 and by the map covering
// the file exactly. Errors name the object and the file. Does not fsync (the
// caller syncs once).
void restore_files(const std::vector<const ManifestFile *> &files, const BackupChain &chain,
                   const std::string &pgdata, int parallel, const CancelPoll &cancel,
                   const ProgressFn &progress);

} // namespace safekeep
