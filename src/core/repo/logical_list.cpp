#include "repo/logical_list.h"

#include "repo/manifest_scan.h"
#include "util/civil_date.h"
#include "util/error.h"

#include <cstdio>
#include <nlohmann/json.hpp>

namespace safekeep {

namespace {

// "YYYY-MM-DDTHH:MM:SSZ" (the manifest's times) -> unix seconds; -1 if not.
int64_t parse_iso_utc(const std::string &s) {
    int y, mo, d, h, mi, se;
    char z = 0;
    if (std::sscanf(s.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%c", &y, &mo, &d, &h, &mi, &se, &z) != 7 ||
        z != 'Z')
        return -1;
    return days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + se;
}

// The label's own stamp: the dump's start, for a manifest without times.
int64_t label_stamp(const std::string &label) {
    std::string iso = label.substr(0, 4) + "-" + label.substr(4, 2) + "-" + label.substr(6, 2) +
                      "T" + label.substr(9, 2) + ":" + label.substr(11, 2) + ":" +
                      label.substr(13, 2) + "Z";
    return parse_iso_utc(iso);
}

LogicalEntry parse_entry(const std::string &label, const std::string &key, std::string text,
                         const std::string &where) {
    LogicalEntry e;
    e.label = label;
    e.manifest_key = key;
    try {
        nlohmann::json m = nlohmann::json::parse(text);
        e.database = m.value("database", std::string());
        e.schema_only = m.value("schema_only", false);
        e.tables = m.value("tables", std::vector<std::string>());
        e.dump_size = m.value("dump_size", uint64_t{0});
        e.stored_size = m.value("stored_size", uint64_t{0});
        e.schema_hash = m.value("schema_hash", std::string());
        e.start_time = parse_iso_utc(m.value("start_time", std::string()));
        e.stop_time = parse_iso_utc(m.value("stop_time", std::string()));
    } catch (const nlohmann::json::exception &ex) {
        throw CorruptData("logical backup manifest \"" + where + "\" is not valid: " + ex.what());
    }
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
