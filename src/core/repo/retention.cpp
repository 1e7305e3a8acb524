#include "repo/retention.h"

#include "repo/catalog.h"
#include "repo/layout.h"
#include "os/files.h"
#include "util/error.h"
#include "repo/wal_list.h"
#include "format/lsn.h"
#include "format/wal_name.h"

#include <algorithm>
#include <ctime>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sys/stat.h>
#include <unistd.h>

namespace safekeep {

using nlohmann::json;

namespace {

int64_t day_of(int64_t t) {
    return t >= 0 ? t / 86400 : (t - 86399) / 86400;
}

struct tm utc(int64_t t) {
    time_t tt = static_cast<time_t>(t);
    struct tm tm {};
    gmtime_r(&tt, &tm);
    return tm;
}

// ISO week: (year, week) of the Thursday of t's week.
std::pair<int, int> iso_week(int64_t t) {
    struct tm tm = utc(t);
    int wday = (tm.tm_wday + 6) % 7; // Monday = 0
    int64_t thursday = day_of(t) - wday + 3;
    struct tm th = utc(thursday * 86400);
    return {th.tm_year + 1900, th.tm_yday / 7 + 1};
}

std::string two(int v) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "%02d", v);
    return buf;
}

uint64_t segno_of(const std::string &seg) {
    uint32_t tli;
    uint64_t s;
    if (!parse_segment_name(seg, tli, s))
        throw Error("invalid WAL segment name \"" + seg + "\" in a manifest");
    return s;
}

} // namespace

ExpirePlan plan_expire(const std::vector<RetentionBackup> &in, const RetentionPolicy &policy,
                       int64_t now) {
    std::vector<RetentionBackup> b(in);
    std::sort(b.begin(), b.end(),
              [](const RetentionBackup &x, const RetentionBackup &y) { return x.label < y.label; });
    const size_t n = b.size();
    std::map<std::string, size_t> index;
    for (size_t i = 0; i < n; i++)
        index[b[i].label] = i;
    std::vector<std::vector<std::string>> reasons(n);
    auto keep = [&](size_t i, const std::string &why) {
        for (const auto &r : reasons[i])
            // One dependency reason is enough.
            if (r == why ||
                (r.compare(0, 9, "needed by") == 0 && why.compare(0, 9, "needed by") == 0))
                return;
        reasons[i].push_back(why);
    };

    // Safety rules.
    for (size_t i = n; i-- > 0;)
        if (b[i].type == "full") {
            keep(i, "newest full backup");
            break;
        }
    if (n > 0)
        keep(n - 1, "newest backup");
    for (size_t i = 0; i < n; i++)
        if (!b[i].pinned.empty())
            keep(i, b[i].pinned);

    // Every backup whose prior chain reaches a given backup.
    auto chain_of = [&](size_t i) {
        std::vector<size_t> chain;
        std::set<size_t> seen;
        size_t cur = i;
        while (seen.insert(cur).second) {
            chain.push_back(cur);
            auto it = index.find(b[cur].prior);
            if (b[cur].prior.empty() || it == index.end())
                break;
            cur = it->second;
        }
        return chain;
    };

    if (policy.full > 0) {
        int seen = 0;
        for (size_t i = n; i-- > 0 && seen < policy.full;)
            if (b[i].type == "full") {
                seen++;
                keep(i, "one of the " + std::to_string(policy.full) + " newest full backups");
                for (size_t j = i + 1; j < n; j++) {
                    auto chain = chain_of(j);
                    if (std::find(chain.begin(), chain.end(), i) != chain.end())
                        keep(j, "depends on kept full backup " + b[i].label);
                }
            }
    }
    if (policy.days > 0)
        for (size_t i = 0; i < n; i++)
            if (b[i].stop_time > now - int64_t(policy.days) * 86400)
                keep(i, "younger than " + std::to_string(policy.days) + " days");

    // Grandfather-father-son: the newest backup of each period in the window.
    auto gfs = [&](int count, auto period_of, auto name_of, const char *what) {
        if (count <= 0)
            return;
        const int64_t now_period = period_of(now);
        std::map<int64_t, size_t> newest;
        for (size_t i = 0; i < n; i++) {
            int64_t p = period_of(b[i].stop_time);
            if (now_period - p >= count)
                continue;
            auto it = newest.find(p);
            if (it == newest.end() || b[i].stop_time > b[it->second].stop_time ||
                (b[i].stop_time == b[it->second].stop_time && b[i].label > b[it->second].label))
                newest[p] = i;
        }
        for (const auto &[p, i] : newest)
            keep(i, std::string(what) + " " + name_of(b[i].stop_time));
    };
    gfs(
        policy.daily, [](int64_t t) { return day_of(t); },
        [](int64_t t) {
            struct tm tm = utc(t);
            return std::to_string(tm.tm_year + 1900) + "-" + two(tm.tm_mon + 1) + "-" +
                   two(tm.tm_mday);
        },
        "daily");
    gfs(
        policy.weekly,
        // Monday-based week index (1970-01-01 was a Thursday).
        [](int64_t t) { return (day_of(t) + 3) / 7; },
        [](int64_t t) {
            auto w = iso_week(t);
            return std::to_string(w.first) + "-W" + two(w.second);
        },
        "weekly");
    gfs(
        policy.monthly,
        [](int64_t t) {
            struct tm tm = utc(t);
            return int64_t(tm.tm_year + 1900) * 12 + tm.tm_mon;
        },
        [](int64_t t) {
            struct tm tm = utc(t);
            return std::to_string(tm.tm_year + 1900) + "-" + two(tm.tm_mon + 1);
        },
        "monthly");
    gfs(
        policy.yearly, [](int64_t t) { return int64_t(utc(t).tm_year + 1900); },
        [](int64_t t) { return std::to_string(utc(t).tm_year + 1900); }, "yearly");

    // Whatever a kept backup reads from stays (newest first, so needs propagate).
    for (size_t i = n; i-- > 0;) {
        if (reasons[i].empty())
            continue;
        std::vector<std::string> deps = b[i].depends_on;
        if (!b[i].prior.empty())
            deps.push_back(b[i].prior);
        for (const auto &d : deps) {
            auto it = index.find(d);
            if (it != index.end() && it->second != i)
                keep(it->second, "needed by kept backup " + b[i].label);
        }
    }

    ExpirePlan plan;
    plan.wal.mode = policy.wal;
    bool any_kept = false;
    uint64_t oldest_start = UINT64_MAX, newest_start = 0;
    std::string oldest_name, newest_name;
    for (size_t i = 0; i < n; i++) {
        RetentionDecision d;
        d.label = b[i].label;
        d.type = b[i].type;
        d.keep = !reasons[i].empty();
        if (d.keep) {
            for (const auto &r : reasons[i])
                d.reason += (d.reason.empty() ? "" : "; ") + r;
            uint64_t s = segno_of(b[i].start_wal);
            if (s < oldest_start) {
                oldest_start = s;
                oldest_name = b[i].start_wal;
            }
            if (s >= newest_start) {
                newest_start = s;
                newest_name = b[i].start_wal;
            }
            any_kept = true;
        } else {
            d.reason = "not kept by the retention policy";
        }
        plan.backups.push_back(std::move(d));
    }
    if (any_kept) {
        plan.wal.remove = true;
        if (policy.wal == WalRetention::All) {
            plan.wal.keep_from = oldest_start;
            plan.wal.remove_before = oldest_name;
        } else {
            plan.wal.keep_from = newest_start;
            plan.wal.remove_before = newest_name;
            for (size_t i = 0; i < n; i++)
                if (plan.backups[i].keep) {
                    uint64_t s = segno_of(b[i].start_wal), e = segno_of(b[i].stop_wal);
                    if (s < newest_start) {
                        plan.wal.keep_ranges.push_back({s, std::max(s, e)});
                        plan.wal.keep_range_names.push_back({b[i].start_wal, b[i].stop_wal});
                    }
                }
        }
    }
    return plan;
}

bool wal_removable(const WalPlan &plan, const std::string &wal_name) {
    if (!plan.remove)
        return false;
    uint32_t tli;
    uint64_t s;
    if (!parse_segment_name(wal_name, tli, s))
        return false; // history files are tiny and needed to follow timelines
    if (s >= plan.keep_from)
        return false;
    for (const auto &r : plan.keep_ranges)
        if (s >= r.first && s <= r.second)
            return false;
    return true;
}

PhysicalExpire expire_repository(const RepoLayout &repo, const RetentionPolicy &policy,
                                 bool dry_run, int64_t now) {
    std::vector<DamagedBackup> damaged;
    std::vector<BackupEntry> backups = list_backups(repo, &damaged);
    // A damaged manifest hides which earlier backups its backup reads from:
    // keep them all until it is repaired or removed.
    std::string newest_damaged;
    for (const auto &d : damaged)
        newest_damaged = std::max(newest_damaged, d.label);

    std::vector<RetentionBackup> in;
    for (const auto &e : backups) {
        const Manifest &m = e.manifest;
        in.push_back(
            {e.label, m.type, m.prior, m.dependencies(), m.start_wal, m.stop_wal, m.stop_time, ""});
        if (e.label < newest_damaged)
            in.back().pinned = "older than backup " + newest_damaged +
                               ", whose manifest is damaged (its chain is unknown)";
    }
    PhysicalExpire out;
    out.plan = plan_expire(in, policy, now);
    // Nor is the WAL it needs known: keep all of it.
    if (!newest_damaged.empty())
        out.plan.wal.remove = false;

    std::vector<WalObject> wal = list_wal_objects(repo);
    std::vector<std::string> doomed;
    for (const auto &w : wal)
        if (wal_removable(out.plan.wal, w.name)) {
            doomed.push_back(w.key);
            out.wal_removed_bytes += w.size;
        }
    out.wal_removed_count = doomed.size();
    if (dry_run)
        return out;

    // Newest first, so a crash never leaves a kept-looking backup whose prior is gone;
    // the manifest goes first, so a half-removed directory is not a backup.
    Storage &store = repo.store();
    for (auto it = out.plan.backups.rbegin(); it != out.plan.backups.rend(); ++it) {
        if (it->keep)
            continue;
        const std::string note =
            json{{"label", it->label}, {"expired_at", now}, {"reason", it->reason}}.dump();
        store.write(repo.expired_key(it->label), note.data(), note.size());
        store.remove({repo.manifest_key(it->label)});
        store.remove_tree(repo.backup_key(it->label));
    }
    store.remove(doomed);
    return out;
}

} // namespace safekeep
