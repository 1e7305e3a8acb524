// info: what the repository holds, read from the repository alone.
#include "commands.h"

#include "pg_safekeep/capi.h"
#include "cli_error.h"
#include "format.h"
#include "options.h"
#include "repo_config.h"

#include <nlohmann/json.hpp>

#include <cstdio>
#include <memory>

namespace safekeep::cli {

namespace {

using nlohmann::json;

// The repository document as JSON (sk_repo_info_json with_wal=0).
json load_info(const RepoConfig &repo) {
    sk_msg msg{};
    std::unique_ptr<char, void (*)(void *)> text(sk_repo_info_json(repo.get(), 0, &msg), sk_free);
    if (!text)
        throw CliError(std::string("cannot read repository ") + repo.describe() + ": " + msg.text);
    try {
        return json::parse(text.get());
    } catch (const json::exception &e) {
        throw CliError(std::string("repository description is not valid JSON: ") + e.what());
    }
}

std::string field(const json &obj, const char *key) {
    auto it = obj.find(key);
    if (it == obj.end() || it->is_null())
        return "-";
    if (it->is_string())
        return it->get<std::string>();
    return it->dump();
}

// Times may come as unix seconds or as text; both print as UTC ISO.
std::string time_field(const json &obj, const char *key) {
    auto it = obj.find(key);
    if (it != obj.end() && it->is_number_integer())
        return format_utc(it->get<int64_t>());
    return field(obj, key);
}

std::string size_field(const json &obj, const char *key) {
    auto it = obj.find(key);
    if (it != obj.end() && it->is_number())
        return format_bytes(it->get<uint64_t>());
    return field(obj, key);
}

// Logical backups (pg_dump) apart: they restore with pg_restore, not as a
// data directory. The schema hash is shortened; --output=json has it whole.
void print_logical(const json &doc) {
    const json logical = doc.value("logical_backups", json::array());
    if (logical.empty()) {
        std::printf("\nlogical backups: none\n");
        return;
    }
    Table table(
        {"label", "kind", "stop (UTC)", "database", "tables", "dump", "stored", "schema hash"});
    for (const auto &l : logical) {
        const json tables = l.value("tables", json::array());
        std::string hash = field(l, "schema_hash");
        table.add({field(l, "label"), field(l, "kind"), time_field(l, "stop_time"),
                   field(l, "database"), tables.empty() ? "all" : std::to_string(tables.size()),
                   size_field(l, "dump_size"), size_field(l, "stored_size"), hash.substr(0, 16)});
    }
    std::printf("\nlogical backups:\n%s", table.render().c_str());
}

// Backups whose manifest cannot be read: named, never silently left out.
void print_damaged(const json &doc) {
    const json damaged = doc.value("damaged_backups", json::array());
    if (damaged.empty())
        return;
    std::printf("\ndamaged backups (their manifest cannot be read; they cannot be restored):\n");
    for (const auto &d : damaged)
        std::printf("  %s: %s\n", field(d, "label").c_str(), field(d, "error").c_str());
}

void print_text(const RepoConfig &repo, const json &doc) {
    std::printf("repository: %s\n", repo.describe().c_str());
    std::printf("stanza:     %s\n\n", field(doc, "stanza").c_str());

    Table table({"label", "type", "prior", "status", "start (UTC)", "stop (UTC)", "stop LSN",
                 "original", "stored", "files"});
    const json backups = doc.value("backups", json::array());
    for (const auto &b : backups)
        table.add({field(b, "label"), field(b, "type"), field(b, "prior"), field(b, "status"),
                   time_field(b, "start_time"), time_field(b, "stop_time"), field(b, "stop_lsn"),
                   size_field(b, "original_bytes"), size_field(b, "stored_bytes"),
                   field(b, "file_count")});
    if (backups.empty())
        std::printf("backups: none\n");
    else
        std::fputs(table.render().c_str(), stdout);
    print_damaged(doc);
    print_logical(doc);

    const json archive = doc.value("archive", json::object());
    uint64_t count = archive.value("count", uint64_t{0});
    if (count == 0)
        std::printf("\nwal archive: empty\n");
    else
        std::printf("\nwal archive: %s .. %s (%llu files)\n", field(archive, "min").c_str(),
                    field(archive, "max").c_str(), static_cast<unsigned long long>(count));
}

} // namespace

int run_info(const std::vector<std::string> &args) {
    std::vector<OptionSpec> spec = repo_option_specs();
    spec.push_back({"output", true});
    spec.push_back({"help", false});
    ParsedArgs parsed = parse_options("info", args, spec);
    if (parsed.has("help")) {
        print_help("info");
        return kExitOk;
    }
    if (!parsed.positionals.empty())
        throw UsageError("unexpected argument \"" + parsed.positionals[0] + "\" for info");
    std::string output = parsed.get("output").value_or("text");
    if (output != "text" && output != "json")
        throw UsageError("--output must be text or json, not \"" + output + "\"");

    RepoConfig repo(parsed);
    json doc = load_info(repo);
    if (output == "json")
        std::printf("%s\n", doc.dump(2).c_str());
    else
        print_text(repo, doc);
    return kExitOk;
}

} // namespace safekeep::cli
