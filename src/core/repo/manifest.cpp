#include "repo/manifest.h"

#include "os/files.h"
#include "util/error.h"

#include <algorithm>
#include <set>

namespace safekeep {

using nlohmann::json;

std::string Manifest::to_json() const {
    json j;
    bool incremental = type != "full";
    for (const auto &f : files)
        incremental = incremental || !f.whole();
    // Format 2 adds references and block maps; a reader that only knows
    // format 1 must refuse such a manifest rather than misread it.
    j["format"] = incremental ? 2 : format;
    j["label"] = label;
    j["type"] = type;
    j["prior"] = prior.empty() ? json(nullptr) : json(prior);
    j["system_id"] = system_id;
    j["pg_version"] = pg_version;
    j["start_time"] = start_time;
    j["stop_time"] = stop_time;
    j["start_lsn"] = start_lsn;
    j["stop_lsn"] = stop_lsn;
    j["start_wal"] = start_wal;
    j["stop_wal"] = stop_wal;
    j["timeline"] = timeline;
    j["original_bytes"] = original_bytes;
    j["stored_bytes"] = stored_bytes;
    j["file_count"] = file_count;
    if (incremental)
        j["copied_bytes"] = copied_bytes;
    j["table_counts"] = table_counts;
    json ts = json::array();
    for (const auto &t : tablespaces)
        ts.push_back({{"oid", t.oid}, {"location", t.location}});
    j["tablespaces"] = std::move(ts);
    json dirs = json::array();
    for (const auto &d : directories)
        dirs.push_back({{"path", d.path}, {"mode", d.mode}});
    j["directories"] = std::move(dirs);
    json files_j = json::array();
    for (const auto &f : files) {
        json e = {{"path", f.path},    {"size", f.size},     {"mode", f.mode},
                  {"mtime", f.mtime},  {"sha256", f.sha256}, {"stored_size", f.stored_size},
                  {"object", f.object}};
        if (!f.reference.empty())
            e["reference"] = f.reference;
        if (!f.blocks.empty()) {
            json runs = json::array();
            for (const auto &r : f.blocks) {
                if (r.holder >= holders.size())
                    throw Error("manifest of " + label + ": block map of \"" + f.path +
                                "\" names an unknown backup");
                runs.push_back(json::array({r.start, r.count, holders[r.holder], r.offset}));
            }
            e["blocks"] = std::move(runs);
            e["object_sha256"] = f.object_sha256;
            e["object_size"] = f.object_size;
        }
        files_j.push_back(std::move(e));
    }
    j["files"] = std::move(files_j);
    return j.dump(1) + "\n";
}

Manifest Manifest::from_json(const std::string &text, const std::string &source) {
    Manifest m;
    try {
        json j = json::parse(text);
        m.format = j.at("format").get<int>();
        if (m.format != 1 && m.format != 2)
            throw Error("unsupported manifest format " + std::to_string(m.format));
        m.label = j.at("label").get<std::string>();
        m.type = j.at("type").get<std::string>();
        if (j.contains("prior") && !j["prior"].is_null())
            m.prior = j["prior"].get<std::string>();
        m.system_id = j.at("system_id").get<std::string>();
        m.pg_version = j.at("pg_version").get<int>();
        m.start_time = j.at("start_time").get<int64_t>();
        m.stop_time = j.at("stop_time").get<int64_t>();
        m.start_lsn = j.at("start_lsn").get<std::string>();
        m.stop_lsn = j.at("stop_lsn").get<std::string>();
        m.start_wal = j.at("start_wal").get<std::string>();
        m.stop_wal = j.at("stop_wal").get<std::string>();
        m.timeline = j.at("timeline").get<uint32_t>();
        m.original_bytes = j.at("original_bytes").get<uint64_t>();
        m.stored_bytes = j.at("stored_bytes").get<uint64_t>();
        m.file_count = j.at("file_count").get<uint64_t>();
        m.copied_bytes = j.value("copied_bytes", m.original_bytes);
        m.holders = {m.label};
        m.table_counts = j.value("table_counts", json::object());
        for (const auto &t : j.at("tablespaces"))
            m.tablespaces.push_back(
                {t.at("oid").get<std::string>(), t.at("location").get<std::string>()});
        for (const auto &d : j.at("directories"))
            m.directories.push_back(
                {d.at("path").get<std::string>(), d.at("mode").get<uint32_t>()});
        m.files.reserve(j.at("files").size());
        for (const auto &f : j.at("files")) {
            ManifestFile mf;
            mf.path = f.at("path").get<std::string>();
            mf.size = f.at("size").get<uint64_t>();
            mf.mode = f.at("mode").get<uint32_t>();
            mf.mtime = f.at("mtime").get<int64_t>();
            mf.sha256 = f.at("sha256").get<std::string>();
            mf.stored_size = f.at("stored_size").get<uint64_t>();
            mf.object = f.at("object").get<std::string>();
            if (f.contains("reference"))
                mf.reference = f["reference"].get<std::string>();
            if (f.contains("blocks")) {
                const json &runs = f["blocks"];
                mf.blocks.reserve(runs.size());
                for (const auto &r : runs) {
                    if (!r.is_array() || r.size() != 4)
                        throw Error("block map of \"" + mf.path + "\" is malformed");
                    BlockRun b;
                    b.start = r[0].get<uint32_t>();
                    b.count = r[1].get<uint32_t>();
                    b.holder = m.holder_index(r[2].get<std::string>());
                    b.offset = r[3].get<uint32_t>();
                    mf.blocks.push_back(b);
                }
                mf.object_sha256 = f.at("object_sha256").get<std::string>();
                mf.object_size = f.at("object_size").get<uint64_t>();
            }
            m.files.push_back(std::move(mf));
        }
    } catch (const json::exception &e) {
        throw Error("manifest \"" + source + "\" is invalid: " + e.what());
    } catch (const Error &e) {
        throw Error("manifest \"" + source + "\" is invalid: " + e.what());
    }
    return m;
}

uint32_t Manifest::holder_index(const std::string &l) {
    if (holders.empty())
        holders.push_back(label);
    for (size_t i = 0; i < holders.size(); i++)
        if (holders[i] == l)
            return static_cast<uint32_t>(i);
    holders.push_back(l);
    return static_cast<uint32_t>(holders.size() - 1);
}

const ManifestFile *Manifest::find(const std::string &path) const {
    auto it =
        std::lower_bound(files.begin(), files.end(), path,
                         [](const ManifestFile &f, const std::string &p) { return f.path < p; });
    return it != files.end() && it->path == path ? &*it : nullptr;
}

std::vector<std::string> Manifest::dependencies() const {
    std::set<std::string> out;
    for (const auto &f : files) {
        if (!f.reference.empty() && f.reference != label)
            out.insert(f.reference);
        for (const auto &r : f.blocks)
            if (r.holder < holders.size() && holders[r.holder] != label)
                out.insert(holders[r.holder]);
    }
    return {out.begin(), out.end()};
}

} // namespace safekeep
