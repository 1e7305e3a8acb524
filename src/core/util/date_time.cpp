#include "util/date_time.h"

#include "util/civil_date.h"

#include <cstdint>
#include <cstdlib>

namespace safekeep {

bool read_digits(const std::string &s, size_t &i, size_t n, int &out) {
    if (i + n > s.size())
        return false;
    out = 0;
    for (size_t k = 0; k < n; k++) {
        char c = s[i + k];
        if (c < '0' || c > '9')
            return false;
        out = out * 10 + (c - '0');
    }
    i += n;
    return true;
}

bool expect_char(const std::string &s, size_t &i, char c) {
    if (i >= s.size() || s[i] != c)
        return false;
    i++;
    return true;
}

std::optional<double> read_date_time(const std::string &s, size_t &i, char sep) {
    int y, mo, d, h, mi, sec;
    if (!(read_digits(s, i, 4, y) && expect_char(s, i, '-') && read_digits(s, i, 2, mo) &&
          expect_char(s, i, '-') && read_digits(s, i, 2, d) && expect_char(s, i, sep) &&
          read_digits(s, i, 2, h) && expect_char(s, i, ':') && read_digits(s, i, 2, mi) &&
          expect_char(s, i, ':') && read_digits(s, i, 2, sec)))
        return std::nullopt;
    if (mo < 1 || mo > 12 || d < 1 || h > 23 || mi > 59 || sec > 60)
        return std::nullopt;
    // February 30th and the like: the day does not come back the same.
    const int64_t days = days_from_civil(y, mo, d);
    int64_t y2;
    int mo2, d2;
    civil_from_days(days, y2, mo2, d2);
    if (y2 != y || mo2 != mo || d2 != d)
        return std::nullopt;
    double frac = 0;
    if (i < s.size() && s[i] == '.') {
        size_t start = ++i;
        while (i < s.size() && s[i] >= '0' && s[i] <= '9')
            i++;
        if (i == start)
            return std::nullopt;
        frac = std::strtod(("0." + s.substr(start, i - start)).c_str(), nullptr);
    }
    return static_cast<double>(days * 86400 + h * 3600 + mi * 60 + sec) + frac;
}

std::optional<double> parse_iso8601_utc(const std::string &s) {
    size_t i = 0;
    std::optional<double> t = read_date_time(s, i, 'T');
    if (!t || !expect_char(s, i, 'Z') || i != s.size())
        return std::nullopt;
    return t;
}

} // namespace safekeep
