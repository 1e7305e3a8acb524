#include "storage/storage.h"

namespace safekeep {

std::string key_join(const std::string &a, const std::string &b) {
    if (a.empty())
        return b;
    if (b.empty())
        return a;
    return a + "/" + b;
}

bool Storage::write_if_absent(const std::string &key, const void *data, size_t len) {
    if (exists(key))
        return false;
    write(key, data, len);
    return true;
}

std::string key_basename(const std::string &key) {
    size_t slash = key.rfind('/');
    return slash == std::string::npos ? key : key.substr(slash + 1);
}

} // namespace safekeep
