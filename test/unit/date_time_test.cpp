// Text times read as UTC: S3's LastModified (ISO 8601) and the shared
// date-time reader that the server log's timestamps use too.
#include "util/date_time.h"

#include <gtest/gtest.h>

using namespace safekeep;

TEST(Iso8601Utc, S3LastModified) {
    EXPECT_EQ(parse_iso8601_utc("2026-11-22T08:55:01.000Z"), 1795337701.0);
    EXPECT_EQ(parse_iso8601_utc("2026-11-22T08:55:01Z"), 1795337701.0); // no fraction
    EXPECT_EQ(parse_iso8601_utc("2026-11-22T08:55:01.5Z"), 1795337701.5);
    EXPECT_NEAR(*parse_iso8601_utc("2026-11-22T08:55:01.123456789Z"), 1795337701.123456789, 1e-6);
    EXPECT_EQ(parse_iso8601_utc("1970-01-01T00:00:00.000Z"), 0.0);
    EXPECT_EQ(parse_iso8601_utc("2024-02-29T23:59:59Z"), 1709251199.0); // leap day
    EXPECT_EQ(parse_iso8601_utc("2000-02-29T12:00:00Z"), 951825600.0);  // 400-year leap day
    EXPECT_EQ(parse_iso8601_utc("2026-01-01T00:00:00.000Z"), 1767225600.0);
}

TEST(Iso8601Utc, RejectsWhatIsNotOne) {
    for (const char *bad : {
             "",
             "Z",
             "2026-11-22",
             "2026-11-22T08:55:01",       // no zone: which one?
             "2026-11-22T08:55:01.000",   // likewise
             "2026-11-22T08:55:01+00:00", // S3 writes Z; an offset is not what we read
             "2026-11-22 08:55:01Z",      // a space for the T
             "2026-11-22t08:55:01z",      // lower case
             "2026-11-22T08:55:01.Z",     // a point without digits
             "2026-11-22T08:55:01.000Z ", // trailing junk
             " 2026-11-22T08:55:01.000Z", // leading junk
             "2026-11-22T08:55:01.000ZZ", // two zones
             "26-11-22T08:55:01Z",        // two-digit year
             "2026-1-22T08:55:01Z",       // one-digit month
             "2026-11-22T8:55:01Z",       // one-digit hour
             "2026-13-01T00:00:00Z",      // month 13
             "2026-00-10T00:00:00Z",      // month 0
             "2026-11-00T00:00:00Z",      // day 0
             "2026-11-31T00:00:00Z",      // November has 30 days
             "2026-02-29T00:00:00Z",      // not a leap year
             "1900-02-29T00:00:00Z",      // nor is 1900
             "2026-11-22T24:00:00Z",      // hour 24
             "2026-11-22T08:60:00Z",      // minute 60
             "2026-11-22T08:55:61Z",      // second 61
             "2026-11-22T08:55:-1Z",      // a sign
             "yesterday",
         })
        EXPECT_EQ(parse_iso8601_utc(bad), std::nullopt) << "\"" << bad << "\"";
}

TEST(ReadDateTime, StopsAfterTheTimeForTheCallerToReadTheZone) {
    const std::string s = "2026-11-22 04:00:01.25+05";
    size_t i = 0;
    EXPECT_EQ(read_date_time(s, i, ' '), 1795320001.25);
    EXPECT_EQ(s.substr(i), "+05");
    i = 0;
    EXPECT_EQ(read_date_time(s, i, 'T'), std::nullopt); // the separator is the caller's
}
