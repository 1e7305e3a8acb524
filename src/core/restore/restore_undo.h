// What a restore created, removed again when the restore fails, so that a
// failed or canceled restore leaves nothing that blocks the retry.
#pragma once

#include <string>
#include <vector>

namespace safekeep {

class RestoreUndo {
  public:
    // Remembers dir before the restore writes into it: when it is missing, the
    // topmost missing ancestor is removed on failure; when it exists (empty),
    // only its contents are.
    void track(const std::string &dir);
    // The restore succeeded: keep everything.
    void commit() { committed_ = true; }
    // Removes what was tracked unless committed; never throws.
    ~RestoreUndo();

    RestoreUndo() = default;
    RestoreUndo(const RestoreUndo &) = delete;
    RestoreUndo &operator=(const RestoreUndo &) = delete;

  private:
    struct Entry {
        std::string path;
        bool remove_itself; // false: only empty it
    };
    std::vector<Entry> entries_;
    bool committed_ = false;
};

} // namespace safekeep
