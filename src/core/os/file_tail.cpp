#include "os/file_tail.h"

#include "os/files.h"
#include "util/error.h"

namespace safekeep {

std::string tail_lines(const std::string &path, int n) {
    std::string text;
    try {
        text = posix::read_file(path);
    } catch (const Error &) {
        return "";
    }
    if (text.size() > 256 * 1024)
        text.erase(0, text.size() - 256 * 1024);
    size_t pos = text.size();
    if (pos > 0 && text[pos - 1] == '\n')
        pos--;
    for (int i = 0; i < n && pos != std::string::npos && pos > 0; i++)
        pos = text.rfind('\n', pos - 1);
    return pos == std::string::npos ? text : text.substr(pos + 1);
}

} // namespace safekeep
