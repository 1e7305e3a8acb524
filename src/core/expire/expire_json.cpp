// expire_result_json: the typed expire result as JSON, for the C API and the tool.
#include "expire/expire_all.h"

#include <nlohmann/json.hpp>

namespace safekeep {

using nlohmann::json;

namespace {

json policy_json(const RetentionPolicy &p) {
    json out = json::object();
    for (const auto &r : retention_rules())
        if (r.physical)
            out[r.key] = p.*r.physical;
    out["wal"] = p.wal == WalRetention::All ? "all" : "consistent";
    return out;
}

json repository_json(const RepositoryExpire &r, bool dry_run, const LogicalRetention &logical) {
    json out = {{"repository", r.repository}, {"dry_run", dry_run}};
    if (!r.error.empty()) {
        out["error"] = r.error;
        return out;
    }
    out["policy"] = policy_json(r.policy);
    json list = json::array();
    for (const auto &d : r.physical.plan.backups)
        list.push_back({{"label", d.label},
                        {"type", d.type},
                        {"action", d.keep ? "keep" : "expire"},
                        {"reason", d.reason}});
    for (const auto &d : r.logical)
        list.push_back({{"label", d.label},
                        {"type", "logical"},
                        {"kind", d.kind},
                        {"database", d.database},
                        {"action", d.keep ? "keep" : "expire"},
                        {"reason", d.reason},
                        {"stored_size", d.stored_size}});
    out["backups"] = std::move(list);
    const WalPlan &wal = r.physical.plan.wal;
    json ranges = json::array();
    for (const auto &range : wal.keep_range_names)
        ranges.push_back({range.first, range.second});
    out["wal"] = {{"mode", wal.mode == WalRetention::All ? "all" : "consistent"},
                  {"remove_before", wal.remove ? json(wal.remove_before) : json(nullptr)},
                  {"keep_ranges", std::move(ranges)},
                  {"removed_count", r.physical.wal_removed_count},
                  {"removed_bytes", r.physical.wal_removed_bytes}};
    out["logical"] = {{"count", logical.count},
                      {"days", logical.days},
                      {"removed_count", r.logical_removed_count},
                      {"removed_bytes", r.logical_removed_bytes}};
    return out;
}

} // namespace

std::string expire_result_json(const ExpireResult &result) {
    json repos = json::array();
    for (const auto &r : result.repositories)
        repos.push_back(repository_json(r, result.dry_run, result.logical));
    return json{{"dry_run", result.dry_run}, {"repositories", std::move(repos)}}.dump();
}

} // namespace safekeep
