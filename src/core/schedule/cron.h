// Cron expressions for the built-in scheduler, evaluated in UTC.
//
// Five fields: minute (0-59), hour (0-23), day of month (1-31), month (1-12
// or jan-dec), day of week (0-7 or sun-sat; 0 and 7 are Sunday).  Each field
// is a comma list of `*`, a value or a range `a-b`, each optionally with a
// step `/n` (`a/n` means a up to the field's end).  Names are
// case-insensitive.  Macros: @yearly (@annually), @monthly, @weekly, @daily
// (@midnight), @hourly.
//
// Day rule of Vixie cron (and pg_cron): when both day fields are restricted
// (neither starts with `*`) a day matches if either matches; otherwise both
// must match.
#pragma once

#include <bitset>
#include <cstdint>
#include <string>

namespace safekeep {

struct CronSpec {
    std::bitset<60> minutes;
    std::bitset<24> hours;
    std::bitset<32> days_of_month; // bit 0 unused
    std::bitset<13> months;        // bit 0 unused
    std::bitset<7> days_of_week;   // 0 = Sunday
    bool dom_restricted = false;   // the field does not start with '*'
    bool dow_restricted = false;
};

// Parses expr; throws Error("invalid cron expression \"...\": <field> field
// \"<text>\": <what is wrong>") naming the bad field.
CronSpec parse_cron(const std::string &expr);

// The first whole minute strictly after unix_seconds that spec matches (UTC).
// Throws Error when it matches no date (e.g. February 30).
int64_t cron_next_after(const CronSpec &spec, int64_t unix_seconds);

// parse_cron + cron_next_after; errors name the expression.
int64_t cron_next_after(const std::string &expr, int64_t unix_seconds);

} // namespace safekeep
