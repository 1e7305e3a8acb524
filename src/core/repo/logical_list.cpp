#include "repo/logical_list.h"

#include "repo/logical_manifest.h"
#include "repo/manifest_scan.h"
#include "util/civil_date.h"
#include "util/error.h"

#include <nlohmann/json.hpp>

namespace safekeep {

namespace {

// The label's own stamp: the dump's start, for a manifest without times.
// (is_logical_label has checked that the digits are there.)
int64_t label_stamp(const std::string &label) {
    auto num = [&](size_t at, size_t n) { return std::stoi(label.substr(at, n)); };
    return days_from_civil(num(0, 4), num(4, 2), num(6, 2)) * 86400 + num(9, 2) * 3600 +
           num(11, 2) * 60 + num(13, 2);
}

LogicalEntry parse_entry(const std::string &label, const std::string &key, std::string text,
                         const std::string &where) {
    LogicalEntry e;
    static_cast<LogicalManifest &>(e) = parse_logical_manifest(text, where);
    e.label = label; // the directory's name decides, whatever the text says
    e.manifest_key = key;
    if (e.start_time < 0)
        e.start_time = label_stamp(label);
    if (e.stop_time < 0)
        e.stop_time = e.start_time;
    e.manifest_json = std::move(text);
    return e;
}

} // namespace

bool is_logical_label(const std::string &name) {
    if (name.size() != 16 || name[8] != '-' || name.back() != 'L')
        return false;
    for (size_t i = 0; i < 15; i++)
        if (i != 8 && (name[i] < '0' || name[i] > '9'))
            return false;
    return true;
}

const char *logical_kind(const LogicalEntry &e) {
    return e.schema_only ? "schema-only" : "full";
}

std::vector<LogicalEntry> list_logical_backups(const RepoLayout &repo) {
    std::vector<LogicalEntry> out;
    if (repo.stanza().empty())
        return out;
    Storage &store = repo.store();
    for (auto &m : read_manifests(store, repo.logical_key(), is_logical_label))
        out.push_back(parse_entry(m.label, m.key, std::move(m.text), store.url(m.key)));
    return out;
}

std::string logical_list_json(const Config &cfg) {
    nlohmann::json all = nlohmann::json::array();
    for (const auto &e : list_logical_backups(RepoLayout::for_read(cfg, true)))
        all.push_back(nlohmann::json::parse(e.manifest_json));
    return all.dump();
}

} // namespace safekeep
