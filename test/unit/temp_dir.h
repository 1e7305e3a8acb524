// A scratch directory removed after each test.
#pragma once

#include "os/files.h"

#include <cstdlib>
#include <string>
#include <vector>

namespace safekeep::test {

class TempDir {
  public:
    TempDir() {
        std::string tmpl = "/tmp/sk_unit_XXXXXX";
        std::vector<char> buf(tmpl.begin(), tmpl.end());
        buf.push_back('\0');
        if (!::mkdtemp(buf.data()))
            std::abort();
        path_ = buf.data();
    }
    ~TempDir() {
        try {
            posix::remove_tree(path_);
        } catch (...) {
        }
    }
    const std::string &path() const { return path_; }
    std::string operator/(const std::string &rel) const { return posix::join(path_, rel); }

  private:
    std::string path_;
};

inline void write_text(const std::string &path, const std::string &text) {
    posix::make_dirs(posix::dirname(path), 0700);
    posix::write_file_atomic(path, text.data(), text.size(), false);
}

} // namespace safekeep::test
