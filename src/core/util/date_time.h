// Dates and times written as text, read as UTC: the server log's times and
// S3's LastModified. Shared pieces so each format is a few lines on top.
#pragma once

#include <cstddef>
#include <optional>
#include <string>

namespace safekeep {

// Reads exactly n decimal digits at s[i] into out; advances i past them.
bool read_digits(const std::string &s, size_t &i, size_t n, int &out);
// Whether s[i] is c; advances i past it when it is.
bool expect_char(const std::string &s, size_t &i, char c);

// "YYYY-MM-DD<sep>HH:MM:SS[.fraction]" at s[i] as Unix seconds, read as UTC
// (the caller applies any zone that follows); advances i past it. nullopt
// for a malformed text or a date or time that does not exist.
std::optional<double> read_date_time(const std::string &s, size_t &i, char sep);

// ISO 8601 in UTC as S3 writes LastModified, "2026-11-22T08:55:01.000Z"
// (fraction optional), as Unix seconds; nullopt for anything else.
std::optional<double> parse_iso8601_utc(const std::string &s);

} // namespace safekeep
