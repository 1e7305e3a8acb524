#include "restore/recovery_log.h"

#include "util/date_time.h"

#include "os/files.h"
#include "util/error.h"

#include <cctype>
#include <cstdlib>

namespace safekeep {

namespace {

const char kLastCompleted[] = "last completed transaction was at log time ";
const char kStopping[] = "recovery stopping ";
const char kStopTime[] = ", time ";
const char kNewTimeline[] = "selected new timeline ID: ";
const char kCollector[] = "redirecting log output to logging collector process";

std::string trim(const std::string &s) {
    size_t b = 0, e = s.size();
    while (b < e && std::isspace(static_cast<unsigned char>(s[b])))
        b++;
    while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1])))
        e--;
    return s.substr(b, e - b);
}

// Seconds east of UTC from "+HH[:MM[:SS]]" / "-..." or a UTC name.
std::optional<int> parse_zone(const std::string &z) {
    if (z == "Z" || z == " Z" || z == " UTC" || z == " GMT" || z == "UTC" || z == "GMT")
        return 0;
    if (z.empty() || (z[0] != '+' && z[0] != '-'))
        return std::nullopt;
    size_t i = 1;
    int h = 0, m = 0, s = 0;
    if (!read_digits(z, i, 2, h))
        return std::nullopt;
    if (i < z.size() && !(expect_char(z, i, ':') && read_digits(z, i, 2, m)))
        return std::nullopt;
    if (i < z.size() && !(expect_char(z, i, ':') && read_digits(z, i, 2, s)))
        return std::nullopt;
    if (i != z.size() || h > 15 || m > 59 || s > 59)
        return std::nullopt;
    int off = h * 3600 + m * 60 + s;
    return z[0] == '-' ? -off : off;
}

std::optional<LoggedTime> time_after(const std::string &line, size_t pos) {
    LoggedTime t;
    t.text = trim(line.substr(pos));
    if (t.text.empty())
        return std::nullopt;
    t.unix_seconds = parse_log_timestamp(t.text);
    return t;
}

} // namespace

std::optional<double> parse_log_timestamp(const std::string &text) {
    const std::string s = trim(text);
    size_t i = 0;
    std::optional<double> t = read_date_time(s, i, ' ');
    if (!t)
        return std::nullopt;
    // A time without a zone would be read in an unknown one: not a value.
    std::optional<int> off = parse_zone(s.substr(i));
    if (!off)
        return std::nullopt;
    return *t - *off;
}

RecoveryLog parse_recovery_log(const std::string &text) {
    RecoveryLog out;
    std::optional<LoggedTime> completed, stopping;
    size_t begin = 0;
    while (begin < text.size()) {
        size_t end = text.find('\n', begin);
        if (end == std::string::npos)
            end = text.size();
        const std::string line = text.substr(begin, end - begin);
        begin = end + 1;

        size_t p;
        if ((p = line.find(kLastCompleted)) != std::string::npos) {
            if (auto t = time_after(line, p + sizeof kLastCompleted - 1))
                completed = t;
        } else if ((p = line.find(kStopping)) != std::string::npos) {
            // The last ", time ": a restore point's name may contain one.
            size_t q = line.rfind(kStopTime);
            if (q != std::string::npos && q > p)
                if (auto t = time_after(line, q + sizeof kStopTime - 1))
                    stopping = t;
        } else if ((p = line.find(kNewTimeline)) != std::string::npos) {
            out.new_timeline = static_cast<uint32_t>(
                std::strtoul(line.c_str() + p + sizeof kNewTimeline - 1, nullptr, 10));
        } else if (line.find(kCollector) != std::string::npos) {
            out.collector = true;
        }
    }
    // "last completed" is what was replayed; a "stopping before" time names
    // the first transaction that was not, so it is only the fallback.
    out.last_xact = completed ? completed : stopping;
    return out;
}

RecoveryLog read_recovery_log(const std::string &path) {
    std::string text;
    try {
        text = posix::read_file(path);
    } catch (const Error &e) {
        throw Error(std::string("cannot read the server log: ") + e.what());
    }
    return parse_recovery_log(text);
}

} // namespace safekeep
