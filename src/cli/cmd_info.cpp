// info: what the repository holds, read from the repository alone, through
// the core's typed description (repo/info.h); JSON only for --output=json.
#include "commands.h"

#include "info_json.h"
#include "repo/info.h"
#include "cli_error.h"
#include "format.h"
#include "options.h"
#include "repo_config.h"

#include <cstdio>
#include <exception>

namespace safekeep::cli {

namespace {

RepoInfo load_info(const RepoConfig &repo) {
    try {
        return read_repo_info(repo.core_config());
    } catch (const std::bad_alloc &) {
        throw CliError("cannot read repository " + repo.describe() + ": out of memory");
    } catch (const std::exception &e) {
        throw CliError("cannot read repository " + repo.describe() + ": " + e.what());
    }
}

// What the text output shows for a value the JSON document has as null.
std::string or_dash(const std::string &s) {
    return s.empty() ? "-" : s;
}

// Logical backups (pg_dump) apart: they restore with pg_restore, not as a
// data directory. The schema hash is shortened; --output=json has it whole.
void print_logical(const RepoInfo &info) {
    if (info.logical.empty()) {
        std::printf("\nlogical backups: none\n");
        return;
    }
    Table table(
        {"label", "kind", "stop (UTC)", "database", "tables", "dump", "stored", "schema hash"});
    for (const auto &l : info.logical) {
        const LogicalEntry &e = l.entry;
        table.add({e.label, logical_kind(e), format_utc(e.stop_time), e.database,
                   e.tables.empty() ? "all" : std::to_string(e.tables.size()),
                   format_bytes(e.dump_size), format_bytes(e.stored_size),
                   e.schema_hash.substr(0, 16)});
    }
    std::printf("\nlogical backups:\n%s", table.render().c_str());
}

// Backups whose manifest cannot be read: named, never silently left out.
void print_damaged(const RepoInfo &info) {
    if (info.damaged.empty())
        return;
    std::printf("\ndamaged backups (their manifest cannot be read; they cannot be restored):\n");
    for (const auto &d : info.damaged)
        std::printf("  %s: %s\n", d.label.c_str(), d.error.c_str());
}

void print_text(const RepoConfig &repo, const RepoInfo &info) {
    std::printf("repository: %s\n", repo.describe().c_str());
    std::printf("stanza:     %s\n\n", or_dash(info.stanza).c_str());

    Table table({"label", "type", "prior", "status", "start (UTC)", "stop (UTC)", "stop LSN",
                 "original", "stored", "files"});
    for (const auto &b : info.backups) {
        const Manifest &m = b.manifest;
        table.add({b.label, m.type, or_dash(m.prior), "completed", format_utc(m.start_time),
                   format_utc(m.stop_time), m.stop_lsn, format_bytes(m.original_bytes),
                   format_bytes(m.stored_bytes), std::to_string(m.file_count)});
    }
    if (info.backups.empty())
        std::printf("backups: none\n");
    else
        std::fputs(table.render().c_str(), stdout);
    print_damaged(info);
    print_logical(info);

    if (info.archive.segments == 0)
        std::printf("\nwal archive: empty\n");
    else
        std::printf("\nwal archive: %s .. %s (%llu files)\n", info.archive.min.c_str(),
                    info.archive.max.c_str(),
                    static_cast<unsigned long long>(info.archive.segments));
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
    RepoInfo info = load_info(repo);
    if (output == "json")
        std::printf("%s\n", repo_info_json(info, false).dump(2).c_str());
    else
        print_text(repo, info);
    return kExitOk;
}

} // namespace safekeep::cli
