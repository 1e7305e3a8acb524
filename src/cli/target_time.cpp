#include "target_time.h"

#include "cli_error.h"

#include <cctype>

namespace safekeep::cli {

namespace {

// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
int64_t days_from_civil(int64_t y, unsigned m, unsigned d) {
    y -= m <= 2;
    const int64_t era = (y >= 0 ? y : y - 399) / 400;
    const unsigned yoe = static_cast<unsigned>(y - era * 400);
    const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

bool leap(int64_t y) {
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

unsigned days_in_month(int64_t y, unsigned m) {
    static const unsigned days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && leap(y) ? 29 : days[m - 1];
}

// Cursor over the text; every reader returns false on a mismatch.
struct Cursor {
    const std::string &s;
    size_t pos = 0;

    bool done() const { return pos >= s.size(); }
    bool peek(char c) const { return !done() && s[pos] == c; }
    bool eat(char c) {
        if (!peek(c))
            return false;
        pos++;
        return true;
    }
    bool digits(int n, int &out) {
        out = 0;
        for (int i = 0; i < n; i++) {
            if (done() || !std::isdigit(static_cast<unsigned char>(s[pos])))
                return false;
            out = out * 10 + (s[pos++] - '0');
        }
        return true;
    }
};

[[noreturn]] void bad(const std::string &text, const std::string &why) {
    throw UsageError("invalid --target-time \"" + text + "\": " + why +
                     " (expected YYYY-MM-DD HH:MM:SS[.frac][Z|+HH[:MM]])");
}

// Reads an optional zone at the cursor; returns the offset east of UTC in seconds.
bool read_zone(Cursor &c, const std::string &text, int &offset) {
    offset = 0;
    if (c.done())
        return false;
    if (c.eat('Z') || c.eat('z'))
        return true;
    if (!c.peek('+') && !c.peek('-'))
        bad(text, "unexpected \"" + text.substr(c.pos) + "\"");
    int sign = c.eat('-') ? -1 : (c.eat('+'), 1);
    int hh = 0, mm = 0;
    if (!c.digits(2, hh))
        bad(text, "zone offset needs two-digit hours");
    if (c.eat(':')) {
        if (!c.digits(2, mm))
            bad(text, "zone offset needs two-digit minutes");
    } else if (!c.done() && !c.digits(2, mm)) {
        bad(text, "bad zone offset");
    }
    if (hh > 15 || mm > 59)
        bad(text, "zone offset out of range");
    offset = sign * (hh * 3600 + mm * 60);
    return true;
}

} // namespace

TargetTime parse_target_time(const std::string &text) {
    Cursor c{text};
    int y, mo, d, h, mi, sec = 0;
    if (!c.digits(4, y) || !c.eat('-') || !c.digits(2, mo) || !c.eat('-') || !c.digits(2, d))
        bad(text, "bad date");
    if (!c.eat(' ') && !c.eat('T') && !c.eat('t'))
        bad(text, "date and time must be separated by a space or 'T'");
    if (!c.digits(2, h) || !c.eat(':') || !c.digits(2, mi))
        bad(text, "bad time of day");
    if (c.eat(':')) {
        if (!c.digits(2, sec))
            bad(text, "bad seconds");
        if (c.eat('.')) {
            size_t start = c.pos;
            while (!c.done() && std::isdigit(static_cast<unsigned char>(text[c.pos])))
                c.pos++;
            if (c.pos == start)
                bad(text, "empty fraction of a second");
        }
    }
    if (mo < 1 || mo > 12 || d < 1 || static_cast<unsigned>(d) > days_in_month(y, mo))
        bad(text, "no such date");
    if (h > 23 || mi > 59 || sec > 59)
        bad(text, "no such time of day");
    c.eat(' ');
    int offset = 0;
    bool has_offset = read_zone(c, text, offset);
    if (!c.done())
        bad(text, "unexpected \"" + text.substr(c.pos) + "\"");

    int64_t days = days_from_civil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d));
    int64_t secs = days * 86400 + h * 3600 + mi * 60 + sec - offset;
    return TargetTime{secs, has_offset};
}

std::string recovery_time_value(const std::string &text, const TargetTime &t) {
    return t.has_offset ? text : text + "+00";
}

} // namespace safekeep::cli
