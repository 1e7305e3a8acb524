// Results of the C interface released when they go out of scope, as the shim
// releases them (capi.h: allocated fields, never fixed buffers that cut).
#pragma once

#include "pg_safekeep/capi.h"

namespace safekeep::test {

struct OwnedBackupResult : sk_backup_result {
    OwnedBackupResult() : sk_backup_result() {}
    ~OwnedBackupResult() { sk_backup_result_free(this); }
    OwnedBackupResult(const OwnedBackupResult &) = delete;
    OwnedBackupResult &operator=(const OwnedBackupResult &) = delete;
};

} // namespace safekeep::test
