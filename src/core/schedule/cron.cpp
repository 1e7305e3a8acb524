#include "schedule/cron.h"

#include "util/civil_date.h"

#include "util/error.h"

#include <algorithm>
#include <cctype>
#include <vector>

namespace safekeep {

namespace {

const char *const month_names[] = {"jan", "feb", "mar", "apr", "may", "jun",
                                   "jul", "aug", "sep", "oct", "nov", "dec"};
const char *const dow_names[] = {"sun", "mon", "tue", "wed", "thu", "fri", "sat"};

struct FieldDef {
    const char *name;
    int lo;
    int hi;                   // highest value accepted (7 for day of week)
    int star_hi;              // what '*' covers (6 for day of week: 7 is Sunday again)
    const char *const *names; // nullptr: numbers only
    int name_count;
    int name_base; // value of names[0]
};

const FieldDef fields[5] = {
    {"minute", 0, 59, 59, nullptr, 0, 0},       {"hour", 0, 23, 23, nullptr, 0, 0},
    {"day-of-month", 1, 31, 31, nullptr, 0, 0}, {"month", 1, 12, 12, month_names, 12, 1},
    {"day-of-week", 0, 7, 6, dow_names, 7, 0},
};

// Thrown inside parse_field; parse_cron adds the expression and the field.
struct FieldError {
    std::string what;
};

std::string lower(std::string s) {
    std::transform(s.begin(), s.end(), s.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return s;
}

bool all_digits(const std::string &s) {
    return !s.empty() &&
           std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isdigit(c) != 0; });
}

int parse_value(const std::string &text, const FieldDef &def) {
    if (all_digits(text)) {
        if (text.size() > 4)
            throw FieldError{text + " is out of range " + std::to_string(def.lo) + "-" +
                             std::to_string(def.hi)};
        int v = std::stoi(text);
        if (v < def.lo || v > def.hi)
            throw FieldError{std::to_string(v) + " is out of range " + std::to_string(def.lo) +
                             "-" + std::to_string(def.hi)};
        return v;
    }
    if (def.names) {
        std::string l = lower(text);
        for (int i = 0; i < def.name_count; i++)
            if (l == def.names[i])
                return def.name_base + i;
        throw FieldError{"\"" + text + "\" is neither a number nor a name (" + def.names[0] + "-" +
                         def.names[def.name_count - 1] + ")"};
    }
    throw FieldError{"\"" + text + "\" is not a number"};
}

// One list element: `*`, `v`, `a-b`, each optionally `/step`; sets bits.
void parse_item(const std::string &item, const FieldDef &def, std::vector<bool> &bits) {
    if (item.empty())
        throw FieldError{"empty list element"};
    std::string range = item;
    int step = 1;
    bool stepped = false;
    size_t slash = item.find('/');
    if (slash != std::string::npos) {
        range = item.substr(0, slash);
        std::string st = item.substr(slash + 1);
        int span = def.star_hi - def.lo + 1;
        if (!all_digits(st) || st.size() > 4 || std::stoi(st) < 1 || std::stoi(st) > span)
            throw FieldError{"step \"" + st + "\" must be a number from 1 to " +
                             std::to_string(span)};
        step = std::stoi(st);
        stepped = true;
    }
    int first, last;
    if (range == "*") {
        first = def.lo;
        last = def.star_hi;
    } else {
        size_t dash = range.find('-');
        if (dash == std::string::npos) {
            first = parse_value(range, def);
            // `a/n`: from a to the end of the field.
            last = stepped ? def.star_hi : first;
            if (last < first)
                last = first;
        } else {
            first = parse_value(range.substr(0, dash), def);
            last = parse_value(range.substr(dash + 1), def);
            // mon-sun: Sunday as 7 ends a day-of-week range.
            if (def.hi == 7 && last == 0 && first > 0)
                last = 7;
            if (last < first)
                throw FieldError{"range " + range + " runs backwards"};
        }
    }
    for (int v = first; v <= last; v += step)
        bits[static_cast<size_t>(v)] = true;
}

std::vector<bool> parse_field(const std::string &text, const FieldDef &def) {
    std::vector<bool> bits(static_cast<size_t>(def.hi) + 1, false);
    size_t pos = 0;
    for (;;) {
        size_t comma = text.find(',', pos);
        parse_item(text.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos),
                   def, bits);
        if (comma == std::string::npos)
            break;
        pos = comma + 1;
    }
    return bits;
}

std::vector<std::string> split_fields(const std::string &expr) {
    std::vector<std::string> out;
    std::string cur;
    for (char c : expr) {
        if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
            if (!cur.empty())
                out.push_back(cur);
            cur.clear();
        } else {
            cur += c;
        }
    }
    if (!cur.empty())
        out.push_back(cur);
    return out;
}

std::string expand_macro(const std::string &expr, const std::string &word) {
    const std::string l = lower(word);
    if (l == "@yearly" || l == "@annually")
        return "0 0 1 1 *";
    if (l == "@monthly")
        return "0 0 1 * *";
    if (l == "@weekly")
        return "0 0 * * 0";
    if (l == "@daily" || l == "@midnight")
        return "0 0 * * *";
    if (l == "@hourly")
        return "0 * * * *";
    throw Error("invalid cron expression \"" + expr + "\": unknown macro \"" + word +
                "\" (use @yearly, @monthly, @weekly, @daily or @hourly)");
}

int64_t floor_div(int64_t a, int64_t b) {
    int64_t q = a / b;
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

void check_time_range(int64_t unix_seconds) {
    // Years 1 to 9999: beyond them nobody schedules backups.
    if (unix_seconds < -62135596800LL || unix_seconds > 253402300799LL)
        throw Error("time " + std::to_string(unix_seconds) + " is out of range for a schedule");
}

bool day_matches(const CronSpec &s, int dom, int dow) {
    const bool by_dom = s.days_of_month[static_cast<size_t>(dom)];
    const bool by_dow = s.days_of_week[static_cast<size_t>(dow)];
    if (s.dom_restricted && s.dow_restricted)
        return by_dom || by_dow;
    return by_dom && by_dow;
}

} // namespace

CronSpec parse_cron(const std::string &expr) {
    std::vector<std::string> parts = split_fields(expr);
    if (parts.size() == 1 && parts[0][0] == '@')
        parts = split_fields(expand_macro(expr, parts[0]));
    if (parts.size() != 5)
        throw Error("invalid cron expression \"" + expr + "\": expected 5 fields (minute hour " +
                    "day-of-month month day-of-week), found " + std::to_string(parts.size()));
    std::vector<bool> bits[5];
    for (int i = 0; i < 5; i++) {
        try {
            bits[i] = parse_field(parts[static_cast<size_t>(i)], fields[i]);
        } catch (const FieldError &e) {
            throw Error("invalid cron expression \"" + expr + "\": " + fields[i].name +
                        " field \"" + parts[static_cast<size_t>(i)] + "\": " + e.what);
        }
    }
    CronSpec s;
    for (size_t v = 0; v < 60; v++)
        s.minutes[v] = bits[0][v];
    for (size_t v = 0; v < 24; v++)
        s.hours[v] = bits[1][v];
    for (size_t v = 1; v <= 31; v++)
        s.days_of_month[v] = bits[2][v];
    for (size_t v = 1; v <= 12; v++)
        s.months[v] = bits[3][v];
    for (size_t v = 0; v <= 7; v++)
        if (bits[4][v])
            s.days_of_week[v % 7] = true;
    s.dom_restricted = parts[2][0] != '*';
    s.dow_restricted = parts[4][0] != '*';
    return s;
}

int64_t cron_next_after(const CronSpec &s, int64_t unix_seconds) {
    check_time_range(unix_seconds);
    const int64_t start = (floor_div(unix_seconds, 60) + 1) * 60;
    int64_t day = floor_div(start, 86400);
    int hour = static_cast<int>((start - day * 86400) / 3600);
    int minute = static_cast<int>((start - day * 86400) % 3600 / 60);
    // Every combination of date and weekday recurs within one 400-year cycle.
    const int64_t limit = day + 146097;
    while (day <= limit) {
        int64_t y;
        int m, d;
        civil_from_days(day, y, m, d);
        if (!s.months[static_cast<size_t>(m)]) {
            day = m == 12 ? days_from_civil(y + 1, 1, 1) : days_from_civil(y, m + 1, 1);
            hour = minute = 0;
            continue;
        }
        const int dow = static_cast<int>(((day % 7) + 7 + 4) % 7); // 1970-01-01 was a Thursday
        if (day_matches(s, d, dow)) {
            for (; hour < 24; hour++, minute = 0) {
                if (!s.hours[static_cast<size_t>(hour)])
                    continue;
                for (; minute < 60; minute++)
                    if (s.minutes[static_cast<size_t>(minute)])
                        return day * 86400 + hour * 3600 + minute * 60;
            }
        }
        day++;
        hour = minute = 0;
    }
    throw Error("it matches no date (the day of month never occurs in the months given)");
}

int64_t cron_next_after(const std::string &expr, int64_t unix_seconds) {
    CronSpec s = parse_cron(expr);
    check_time_range(unix_seconds);
    try {
        return cron_next_after(s, unix_seconds);
    } catch (const Error &e) {
        throw Error("invalid cron expression \"" + expr + "\": " + e.what());
    }
}

} // namespace safekeep
