#include "expire/expire_all.h"

#include "logical/expire.h"
#include "repo/retention.h"

#include <ctime>
#include <nlohmann/json.hpp>

namespace safekeep {

using nlohmann::json;

std::string expire_all(const Config &cfg, const std::string &policy_json, bool dry_run) {
    json policy = json::parse(policy_json.empty() ? "{}" : policy_json, nullptr, false);
    if (!policy.is_object()) // expire_repository says what is wrong with it
        return expire_repository(cfg, policy_json, dry_run);
    json logical = json::object();
    if (auto it = policy.find("logical"); it != policy.end()) {
        logical = *it;
        policy.erase(it);
    }
    int64_t now = static_cast<int64_t>(std::time(nullptr));
    if (auto it = policy.find("now"); it != policy.end() && it->is_number_integer())
        now = it->get<int64_t>();
    const LogicalRetention keep = parse_logical_retention(logical.dump());

    json plan = json::parse(expire_repository(cfg, policy.dump(), dry_run));
    uint64_t removed = 0, removed_bytes = 0;
    for (auto &d : json::parse(expire_logical(cfg, keep, dry_run, now))) {
        if (d["action"] == "expire") {
            removed++;
            removed_bytes += d["stored_size"].get<uint64_t>();
        }
        plan["backups"].push_back(std::move(d));
    }
    plan["logical"] = {{"count", keep.count},
                       {"days", keep.days},
                       {"removed_count", removed},
                       {"removed_bytes", removed_bytes}};
    return plan.dump();
}

} // namespace safekeep
