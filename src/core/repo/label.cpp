#include "repo/label.h"

#include "storage/posix.h"
#include "util/error.h"

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

std::string allocate_label(const std::string &backup_root, int64_t now) {
    posix::make_dirs(backup_root, 0750);
    // mkdir is the uniqueness test, so two concurrent backups never share a label.
    for (int64_t t = now; t < now + 3600; t++) {
        std::string label = format_full_label(t);
        std::string dir = posix::join(backup_root, label);
        if (::mkdir(dir.c_str(), 0750) == 0) {
            posix::fsync_dir(backup_root);
            return label;
        }
        if (errno != EEXIST)
            throw_errno("could not create backup directory \"" + dir + "\"");
    }
    throw Error("could not allocate a backup label in \"" + backup_root + "\"");
}

} // namespace safekeep
