#include "repo/label.h"

#include "storage/storage.h"
#include "util/error.h"
#include "util/user_names.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <ctime>
#include <sys/stat.h>

namespace safekeep {

std::string format_full_label(int64_t unix_seconds) {
    time_t t = static_cast<time_t>(unix_seconds);
    struct tm tm;
    if (!gmtime_r(&t, &tm))
        throw Error("could not format time " + std::to_string(unix_seconds));
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y%m%d-%H%M%SF", &tm);
    return buf;
}

static bool is_stamp(const std::string &s, size_t pos) {
    // YYYYMMDD-HHMMSS
    if (s.size() < pos + 15)
        return false;
    for (size_t i = 0; i < 15; i++) {
        char c = s[pos + i];
        if (i == 8 ? c != '-' : !std::isdigit(static_cast<unsigned char>(c)))
            return false;
    }
    return true;
}

bool is_valid_label(const std::string &label) {
    if (label.size() == 16)
        return is_stamp(label, 0) && label[15] == 'F';
    if (label.size() == 33)
        return is_stamp(label, 0) && label[15] == 'F' && label[16] == '_' && is_stamp(label, 17) &&
               (label[32] == 'D' || label[32] == 'I');
    return false;
}

int64_t label_time(const std::string &label) {
    if (!is_valid_label(label))
        throw Error("\"" + label + "\" is not a backup label");
    const std::string stamp = label.substr(label.size() - 16, 15);
    struct tm tm {};
    tm.tm_year = std::stoi(stamp.substr(0, 4)) - 1900;
    tm.tm_mon = std::stoi(stamp.substr(4, 2)) - 1;
    tm.tm_mday = std::stoi(stamp.substr(6, 2));
    tm.tm_hour = std::stoi(stamp.substr(9, 2));
    tm.tm_min = std::stoi(stamp.substr(11, 2));
    tm.tm_sec = std::stoi(stamp.substr(13, 2));
    return static_cast<int64_t>(timegm(&tm));
}

std::string full_label_of(const std::string &label) {
    return label.substr(0, 16);
}

char label_kind(const std::string &label) {
    return label.empty() ? '\0' : label.back();
}

std::string allocate_label(Storage &store, const std::string &backup_root, int64_t now, char kind,
                           const std::string &full_label, const std::string &after) {
    if (kind != 'F' && (kind != 'D' && kind != 'I'))
        throw Error(std::string("unknown backup label kind '") + kind + "'");
    if (kind != 'F' && (full_label.size() != 16 || !is_valid_label(full_label)))
        throw Error("\"" + full_label + "\" is not a full backup label");
    // Each label's own stamp is later than after's, so labels stay unique and
    // sort by time within a chain. Only the stamps are compared: an
    // incremental of an older full (<full>_<stamp>I) sorts before a newer full
    // left by a failed backup, and must still find a label.
    int64_t start = now;
    if (!after.empty())
        start = std::max(start, label_time(after) + 1);
    // claim (mkdir on posix) is the uniqueness test, so two concurrent backups
    // never share a label.
    for (int64_t t = start; t < start + 3600; t++) {
        std::string label = format_full_label(t);
        if (kind != 'F') {
            label.back() = kind;
            label = full_label + "_" + label;
        }
        if (store.claim(key_join(backup_root, label)))
            return label;
    }
    throw Error("could not allocate a backup label in \"" + store.url(backup_root) + "\"");
}

void check_backup_label_arg(const std::string &label, const std::string &what) {
    if (!is_valid_label(label))
        throw Error("invalid backup label " + shown_value(label) + " for " + what +
                    ": expected YYYYMMDD-HHMMSSF or YYYYMMDD-HHMMSSF_YYYYMMDD-HHMMSSD (or I)");
}

} // namespace safekeep
