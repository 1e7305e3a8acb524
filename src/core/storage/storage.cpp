#include "storage/storage.h"

namespace safekeep {

std::string key_join(const std::string &a, const std::string &b) {
    if (a.empty())
        return b;
    if (b.empty())
        return a;
    return a + "/" + b;
}

std::string key_basename(const std::string &key) {
    size_t slash = key.rfind('/');
    return slash == std::string::npos ? key : key.substr(slash + 1);
}

} // namespace safekeep
