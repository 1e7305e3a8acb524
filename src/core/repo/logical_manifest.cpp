#include "repo/logical_manifest.h"

#include "util/civil_date.h"
#include "util/error.h"

#include <cstdio>
#include <ctime>
#include <nlohmann/json.hpp>

namespace safekeep {

namespace {

std::string iso_time(int64_t t) {
    time_t tt = static_cast<time_t>(t);
    struct tm tm;
    gmtime_r(&tt, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
}

// "YYYY-MM-DDTHH:MM:SSZ" -> unix seconds; -1 if not.
int64_t parse_iso_utc(const std::string &s) {
    int y, mo, d, h, mi, se;
    char z = 0;
    if (std::sscanf(s.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%c", &y, &mo, &d, &h, &mi, &se, &z) != 7 ||
        z != 'Z')
        return -1;
    return days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + se;
}

} // namespace

std::string logical_manifest_text(const LogicalManifest &m) {
    nlohmann::json j;
    j["label"] = m.label;
    j["backup_type"] = "logical";
    j["format"] = "pg_dump custom, zstd";
    j["database"] = m.database;
    j["schema_only"] = m.schema_only;
    j["tables"] = m.tables;
    j["object"] = m.object;
    j["dump_size"] = m.dump_size;
    j["stored_size"] = m.stored_size;
    j["sha256"] = m.sha256;
    j["schema_hash"] = m.schema_hash;
    j["pg_dump_version"] = m.pg_dump_version;
    j["start_time"] = iso_time(m.start_time);
    j["stop_time"] = iso_time(m.stop_time);
    return j.dump(2) + "\n";
}

LogicalManifest parse_logical_manifest(const std::string &text, const std::string &where) {
    LogicalManifest m;
    try {
        nlohmann::json j = nlohmann::json::parse(text);
        m.label = j.value("label", std::string());
        m.database = j.value("database", std::string());
        m.schema_only = j.value("schema_only", false);
        m.tables = j.value("tables", std::vector<std::string>());
        m.object = j.value("object", std::string("dump.zst"));
        m.dump_size = j.value("dump_size", uint64_t{0});
        m.stored_size = j.value("stored_size", uint64_t{0});
        m.sha256 = j.value("sha256", std::string());
        m.schema_hash = j.value("schema_hash", std::string());
        m.pg_dump_version = j.value("pg_dump_version", std::string());
        m.start_time = parse_iso_utc(j.value("start_time", std::string()));
        m.stop_time = parse_iso_utc(j.value("stop_time", std::string()));
    } catch (const nlohmann::json::exception &ex) {
        throw CorruptData("logical backup manifest \"" + where + "\" is not valid: " + ex.what());
    }
    return m;
}

} // namespace safekeep
