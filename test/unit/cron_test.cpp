#include "pg_safekeep/capi.h"
#include "schedule/cron.h"
#include "util/error.h"

#include <ctime>
#include <gtest/gtest.h>
#include <string>

using namespace safekeep;

namespace {

int64_t utc(int y, int mon, int d, int h = 0, int mi = 0, int s = 0) {
    struct tm tm {};
    tm.tm_year = y - 1900;
    tm.tm_mon = mon - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    tm.tm_sec = s;
    return static_cast<int64_t>(timegm(&tm));
}

// The error message parse_cron throws for expr ("" when it does not throw).
std::string cron_error(const std::string &expr) {
    try {
        (void)cron_next_after(expr, utc(2024, 1, 1));
    } catch (const Error &e) {
        return e.what();
    }
    return "";
}

} // namespace

TEST(Cron, EveryMinuteIsStrictlyAfter) {
    EXPECT_EQ(cron_next_after("* * * * *", utc(2024, 5, 1, 12, 0, 30)), utc(2024, 5, 1, 12, 1));
    EXPECT_EQ(cron_next_after("* * * * *", utc(2024, 5, 1, 12, 0, 0)), utc(2024, 5, 1, 12, 1));
    EXPECT_EQ(cron_next_after("* * * * *", utc(2024, 5, 1, 12, 0, 59)), utc(2024, 5, 1, 12, 1));
}

TEST(Cron, SeedPlan) {
    // incremental every 4 hours
    EXPECT_EQ(cron_next_after("0 */4 * * *", utc(2024, 5, 1, 1, 0)), utc(2024, 5, 1, 4, 0));
    EXPECT_EQ(cron_next_after("0 */4 * * *", utc(2024, 5, 1, 4, 0)), utc(2024, 5, 1, 8, 0));
    EXPECT_EQ(cron_next_after("0 */4 * * *", utc(2024, 5, 1, 23, 30)), utc(2024, 5, 2, 0, 0));
    // full daily at 02:00
    EXPECT_EQ(cron_next_after("0 2 * * *", utc(2024, 5, 1, 2, 0)), utc(2024, 5, 2, 2, 0));
    EXPECT_EQ(cron_next_after("0 2 * * *", utc(2024, 5, 1, 1, 59, 59)), utc(2024, 5, 1, 2, 0));
    // weekly on Sunday 01:00 (2024-06-05 is a Wednesday)
    EXPECT_EQ(cron_next_after("0 1 * * 0", utc(2024, 6, 5, 10, 0)), utc(2024, 6, 9, 1, 0));
    EXPECT_EQ(cron_next_after("0 1 * * sun", utc(2024, 6, 9, 1, 0)), utc(2024, 6, 16, 1, 0));
    // monthly on the 1st
    EXPECT_EQ(cron_next_after("0 3 1 * *", utc(2024, 1, 31, 12, 0)), utc(2024, 2, 1, 3, 0));
    EXPECT_EQ(cron_next_after("0 3 1 * *", utc(2024, 12, 1, 3, 0)), utc(2025, 1, 1, 3, 0));
}

TEST(Cron, ListsRangesSteps) {
    const int64_t t = utc(2024, 5, 1, 10, 0);
    EXPECT_EQ(cron_next_after("5,10-20/5 * * * *", t), utc(2024, 5, 1, 10, 5));
    EXPECT_EQ(cron_next_after("5,10-20/5 * * * *", utc(2024, 5, 1, 10, 5)),
              utc(2024, 5, 1, 10, 10));
    EXPECT_EQ(cron_next_after("5,10-20/5 * * * *", utc(2024, 5, 1, 10, 15)),
              utc(2024, 5, 1, 10, 20));
    EXPECT_EQ(cron_next_after("5,10-20/5 * * * *", utc(2024, 5, 1, 10, 20)),
              utc(2024, 5, 1, 11, 5));
    // a/n: from a to the end of the field
    EXPECT_EQ(cron_next_after("50/5 * * * *", t), utc(2024, 5, 1, 10, 50));
    EXPECT_EQ(cron_next_after("50/5 * * * *", utc(2024, 5, 1, 10, 55)), utc(2024, 5, 1, 11, 50));
    EXPECT_EQ(cron_next_after("30 9-17/4 * * *", t), utc(2024, 5, 1, 13, 30));
    EXPECT_EQ(cron_next_after("0 0 * * *", utc(2024, 12, 31, 23, 59)), utc(2025, 1, 1, 0, 0));
    EXPECT_EQ(cron_next_after("  0\t0  *  * * ", utc(2024, 12, 31, 23, 59)), utc(2025, 1, 1, 0, 0));
}

TEST(Cron, Names) {
    // 2024-05-04 is a Saturday: the next weekday is Monday the 6th, but only in jan/jul.
    EXPECT_EQ(cron_next_after("30 6 * jan,JUL MON-fri", utc(2024, 5, 4)), utc(2024, 7, 1, 6, 30));
    EXPECT_EQ(cron_next_after("0 12 * * Sat", utc(2024, 5, 1)), utc(2024, 5, 4, 12, 0));
    EXPECT_EQ(cron_next_after("0 0 1 feb-mar *", utc(2024, 5, 1)), utc(2025, 2, 1));
}

TEST(Cron, SundayIsZeroAndSeven) {
    const int64_t t = utc(2024, 6, 5); // Wednesday
    EXPECT_EQ(cron_next_after("0 0 * * 7", t), utc(2024, 6, 9));
    EXPECT_EQ(cron_next_after("0 0 * * 0", t), utc(2024, 6, 9));
    EXPECT_EQ(cron_next_after("0 0 * * 5-7", t), utc(2024, 6, 7));
    EXPECT_EQ(cron_next_after("0 0 * * sat-sun", utc(2024, 6, 8, 1)), utc(2024, 6, 9));
}

TEST(Cron, DayOfMonthOrDayOfWeek) {
    // Both restricted: the 13th or any Friday (2024-09-01 is a Sunday).
    EXPECT_EQ(cron_next_after("0 0 13 * fri", utc(2024, 9, 1)), utc(2024, 9, 6));
    EXPECT_EQ(cron_next_after("0 0 13 * fri", utc(2024, 9, 6)), utc(2024, 9, 13));
    EXPECT_EQ(cron_next_after("0 0 2 * fri", utc(2024, 9, 1)), utc(2024, 9, 2));
    // One of them starts with '*': both must match (Vixie cron, pg_cron).
    EXPECT_EQ(cron_next_after("0 0 * * fri", utc(2024, 9, 1)), utc(2024, 9, 6));
    EXPECT_EQ(cron_next_after("0 0 13 * *", utc(2024, 9, 1)), utc(2024, 9, 13));
    // days 1, 11, 21, 31 that are Mondays: 2024-03-11
    EXPECT_EQ(cron_next_after("0 0 */10 * 1", utc(2024, 1, 1)), utc(2024, 3, 11));
}

TEST(Cron, Macros) {
    const int64_t t = utc(2024, 6, 5, 10, 30); // Wednesday
    EXPECT_EQ(cron_next_after("@hourly", t), utc(2024, 6, 5, 11, 0));
    EXPECT_EQ(cron_next_after("@daily", t), utc(2024, 6, 6));
    EXPECT_EQ(cron_next_after("@DAILY", t), utc(2024, 6, 6));
    EXPECT_EQ(cron_next_after("@midnight", t), utc(2024, 6, 6));
    EXPECT_EQ(cron_next_after("@weekly", t), utc(2024, 6, 9));
    EXPECT_EQ(cron_next_after("@monthly", t), utc(2024, 7, 1));
    EXPECT_EQ(cron_next_after("@yearly", t), utc(2025, 1, 1));
    EXPECT_EQ(cron_next_after("@annually", t), utc(2025, 1, 1));
}

TEST(Cron, LeapDaysAndImpossibleDates) {
    EXPECT_EQ(cron_next_after("0 0 29 2 *", utc(2023, 3, 1)), utc(2024, 2, 29));
    EXPECT_EQ(cron_next_after("0 0 29 2 *", utc(2024, 2, 29)), utc(2028, 2, 29));
    // 2100 is no leap year
    EXPECT_EQ(cron_next_after("0 0 29 2 *", utc(2097, 1, 1)), utc(2104, 2, 29));
    EXPECT_EQ(cron_next_after("0 0 31 * *", utc(2024, 4, 1)), utc(2024, 5, 31));
    EXPECT_NE(cron_error("0 0 30 2 *").find("matches no date"), std::string::npos);
    EXPECT_NE(cron_error("0 0 31 4,6,9,11 *").find("matches no date"), std::string::npos);
    // With a weekday as alternative the date rule no longer blocks it.
    EXPECT_EQ(cron_next_after("0 0 30 2 mon", utc(2024, 6, 5)), utc(2025, 2, 3));
}

TEST(Cron, BeforeTheEpoch) {
    EXPECT_EQ(cron_next_after("0 0 * * *", -1), 0);
    EXPECT_EQ(cron_next_after("* * * * *", -61), -60);
    EXPECT_EQ(cron_next_after("0 0 * * thu", utc(1969, 12, 31)), 0); // 1970-01-01 was a Thursday
}

TEST(Cron, ErrorsNameTheField) {
    EXPECT_EQ(cron_error("61 * * * *"),
              "invalid cron expression \"61 * * * *\": minute field \"61\": 61 is out of range "
              "0-59");
    EXPECT_NE(cron_error("* 24 * * *").find("hour field \"24\": 24 is out of range 0-23"),
              std::string::npos);
    EXPECT_NE(cron_error("* * 0 * *").find("day-of-month field \"0\""), std::string::npos);
    EXPECT_NE(cron_error("* * 32 * *").find("day-of-month field"), std::string::npos);
    EXPECT_NE(cron_error("* * * 13 *").find("month field \"13\""), std::string::npos);
    EXPECT_NE(cron_error("* * * * 8").find("day-of-week field \"8\": 8 is out of range 0-7"),
              std::string::npos);
    EXPECT_NE(cron_error("* * * foo *")
                  .find("month field \"foo\": \"foo\" is neither a number "
                        "nor a name (jan-dec)"),
              std::string::npos);
    EXPECT_NE(cron_error("* * * * funday").find("day-of-week field"), std::string::npos);
    EXPECT_NE(cron_error("x * * * *").find("minute field \"x\": \"x\" is not a number"),
              std::string::npos);
    EXPECT_NE(cron_error("jan * * * *").find("minute field"), std::string::npos);
    EXPECT_NE(cron_error("*/0 * * * *").find("minute field \"*/0\": step \"0\""),
              std::string::npos);
    EXPECT_NE(cron_error("*/x * * * *").find("step"), std::string::npos);
    EXPECT_NE(cron_error("* */25 * * *").find("hour field"), std::string::npos);
    EXPECT_NE(cron_error("5-2 * * * *").find("range 5-2 runs backwards"), std::string::npos);
    EXPECT_NE(cron_error("1,,2 * * * *").find("empty list element"), std::string::npos);
    EXPECT_NE(cron_error("1, * * * *").find("empty list element"), std::string::npos);
    EXPECT_NE(cron_error("99999999999 * * * *").find("out of range"), std::string::npos);
    EXPECT_NE(cron_error("* * * *").find("expected 5 fields (minute hour day-of-month month "
                                         "day-of-week), found 4"),
              std::string::npos);
    EXPECT_NE(cron_error("* * * * * *").find("found 6"), std::string::npos);
    EXPECT_NE(cron_error("").find("found 0"), std::string::npos);
    EXPECT_NE(cron_error("@reboot").find("unknown macro \"@reboot\""), std::string::npos);
    EXPECT_NE(cron_error("@daily 5").find("found 2"), std::string::npos);
}

TEST(Cron, CApi) {
    int64_t next = 0;
    sk_msg msg;
    EXPECT_EQ(sk_cron_next("0 2 * * *", utc(2024, 5, 1, 3), &next, &msg), SK_OK);
    EXPECT_EQ(next, utc(2024, 5, 2, 2));
    EXPECT_EQ(sk_cron_next("0 2 * * mon-", 0, &next, &msg), SK_ERROR);
    EXPECT_NE(std::string(msg.text).find("day-of-week field \"mon-\""), std::string::npos);
    EXPECT_EQ(sk_cron_next(nullptr, 0, &next, &msg), SK_ERROR);
    EXPECT_EQ(sk_cron_next("* * * * *", INT64_MAX, &next, &msg), SK_ERROR);
    EXPECT_NE(std::string(msg.text).find("out of range"), std::string::npos);
}
