#include "repo/manifest_scan.h"

#include "util/error.h"

#include <algorithm>

namespace safekeep {

std::vector<FoundManifest>
read_manifests(Storage &store, const std::string &root,
               const std::function<bool(const std::string &)> &is_label) {
    std::vector<FoundManifest> out;
    for (const auto &name : store.children(root)) {
        if (!is_label(name))
            continue;
        FoundManifest m{name, key_join(key_join(root, name), kManifestName), ""};
        try {
            m.text = store.read(m.key);
        } catch (const NotFound &) {
            continue;
        }
        out.push_back(std::move(m));
    }
    std::sort(out.begin(), out.end(),
              [](const FoundManifest &a, const FoundManifest &b) { return a.label < b.label; });
    return out;
}

} // namespace safekeep
