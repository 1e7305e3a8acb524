#include "restore/restore_undo.h"

#include "os/files.h"

namespace safekeep {

void RestoreUndo::track(const std::string &dir) {
    if (posix::exists(dir)) {
        entries_.push_back({dir, false});
        return;
    }
    std::string top = dir;
    for (std::string parent = posix::dirname(top); parent != top && !posix::exists(parent);
         parent = posix::dirname(top))
        top = parent;
    entries_.push_back({top, true});
}

RestoreUndo::~RestoreUndo() {
    if (committed_)
        return;
    // Newest first: a tablespace location may lie inside an earlier entry.
    for (auto it = entries_.rbegin(); it != entries_.rend(); ++it) {
        try {
            if (it->remove_itself) {
                posix::remove_tree(it->path);
                continue;
            }
            for (const auto &e : posix::list_dir_if_exists(it->path))
                posix::remove_tree(posix::join(it->path, e.name));
        } catch (...) {
            // Best effort: the restore's own error is what the caller reports.
        }
    }
}

} // namespace safekeep
