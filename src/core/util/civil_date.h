// Calendar dates <-> days since 1970-01-01 in the proleptic Gregorian
// calendar (Howard Hinnant's algorithms): UTC arithmetic that does not
// depend on the process's TZ.
#pragma once

#include <cstdint>

namespace safekeep {

int64_t days_from_civil(int64_t y, int m, int d);
void civil_from_days(int64_t days, int64_t &y, int &m, int &d);

} // namespace safekeep
