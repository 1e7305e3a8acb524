#include "backup/backup.h"

#include "backup/copy.h"
#include "backup/file_list.h"
#include "io/sha256.h"
#include "repo/label.h"
#include "repo/repo_json.h"
#include "storage/fanout_storage.h"
#include "storage/throttled_storage.h"
#include "util/error.h"
#include "format/lsn.h"

#include <ctime>

namespace safekeep {

PriorChoice choose_prior(const std::vector<BackupEntry> &backups, const std::string &type,
                         uint32_t timeline) {
    PriorChoice c;
    if (type == "full")
        return c;
    if (type != "incremental" && type != "differential")
        throw Error("unknown backup type \"" + type +
                    "\" (expected full, incremental or differential)");
    const BackupEntry *pick = nullptr;
    bool any_full = false;
    for (const auto &b : backups) {
        if (b.manifest.type == "full")
            any_full = true;
        if (type == "incremental" || b.manifest.type == "full")
            pick = &b;
    }
    if (!any_full || !pick) {
        c.reason = "the repository holds no full backup";
        return c;
    }
    const Manifest &m = pick->manifest;
    if (timeline != 0 && m.timeline != timeline) {
        c.reason = "the timeline changed since backup " + pick->label + " (" +
                   std::to_string(m.timeline) + " -> " + std::to_string(timeline) + ")";
        return c;
    }
    for (const auto &dep : m.dependencies()) {
        bool found = false;
        for (const auto &b : backups)
            found = found || b.label == dep;
        if (!found) {
            c.reason = "backup " + pick->label + " depends on backup " + dep +
                       ", which is not in the repository";
            return c;
        }
    }
    c.label = pick->label;
    return c;
}

namespace {

// The label with the newest own stamp in the backup directory, complete or
// not (a new label's stamp must be later, even if the clock went back).
std::string newest_label(const RepoLayout &repo) {
    std::string newest;
    for (const auto &name : repo.store().children(repo.backup_root_key()))
        if (is_valid_label(name) && (newest.empty() || label_time(name) > label_time(newest)))
            newest = name;
    return newest;
}

// Where the backup landed: every member of a fan-out, or the one repository.
std::vector<RepoOutcome> landed_where(Storage &store) {
    std::vector<RepoOutcome> out;
    if (auto *fan = dynamic_cast<FanoutStorage *>(&store)) {
        for (const auto &m : fan->members())
            out.push_back({m.number, m.kind, m.error.empty(), m.error});
    } else {
        out.push_back({1, store.kind(), true, ""});
    }
    return out;
}

// An incremental or differential backup reads unchanged files from its
// prior chain, so it goes only to the repositories that hold the whole chain;
// the others are dropped from the fan-out, with the reason.
void drop_repos_without_chain(const RepoLayout &repo, const Manifest &prior) {
    auto *fan = dynamic_cast<FanoutStorage *>(&repo.store());
    if (!fan)
        return;
    std::vector<std::string> chain = prior.dependencies();
    chain.push_back(prior.label);
    std::vector<FanoutStorage::Member> members = fan->members();
    for (size_t i = 0; i < members.size(); i++) {
        if (!fan->live(i))
            continue;
        RepoLayout one(members[i].store, repo.stanza());
        std::string missing;
        try {
            for (const auto &label : chain)
                if (missing.empty() && !one.store().exists(one.manifest_key(label)))
                    missing = label;
        } catch (const Canceled &) {
            throw;
        } catch (const std::exception &e) {
            fan->drop(i, e.what());
            continue;
        }
        if (!missing.empty())
            fan->drop(i, "does not hold backup " + missing + " of the prior chain of " +
                             prior.label); // throws when none is left
    }
}

} // namespace

BackupSession::BackupSession(const Config &cfg, const std::string &pgdata, uint64_t system_id,
                             int pg_version, const BackupOptions &opts)
    : cfg_(cfg), repo_(RepoLayout::for_write(cfg, system_id)), pgdata_(pgdata),
      system_id_(system_id), pg_version_(pg_version) {
    std::string type = opts.type.empty() ? "full" : opts.type;
    if (type != "full" && type != "incremental" && type != "differential")
        throw Error("backup type \"" + type +
                    "\" is not supported (expected full, incremental or differential)");
    if (pgdata.empty() || pgdata[0] != '/')
        throw Error("data directory \"" + pgdata + "\" is not an absolute path");
    ensure_repo_json(repo_, system_id, pg_version);
    repos_ = repo_.store_ptr();
    if (cfg.max_rate > 0)
        repo_ =
            RepoLayout(std::make_shared<ThrottledStorage>(repos_, cfg.max_rate), repo_.stanza());

    if (type != "full") {
        std::vector<BackupEntry> backups = list_backups(repo_);
        std::string prior = opts.prior;
        if (prior.empty()) {
            PriorChoice c = choose_prior(backups, type, opts.timeline);
            if (c.label.empty()) {
                const std::string what = (type == "incremental" ? "an " : "a ") + type + " backup";
                if (!opts.fallback_full)
                    throw NotFound("cannot take " + what + ": " + c.reason);
                notice_ = c.reason + ": taking a full backup instead of " + what;
                type = "full";
            }
            prior = c.label;
        }
        if (!prior.empty()) {
            const BackupEntry *p = nullptr;
            for (const auto &b : backups)
                if (b.label == prior)
                    p = &b;
            if (!p)
                throw NotFound("prior backup \"" + prior + "\" does not exist in repository \"" +
                               repo_.where() + "\"");
            if (type == "differential" && p->manifest.type != "full")
                throw Error("a differential backup must be relative to a full backup, and " +
                            prior + " is " + p->manifest.type);
            if (p->manifest.system_id != std::to_string(system_id))
                throw Error("prior backup " + prior + " belongs to another cluster");
            if (opts.timeline != 0 && p->manifest.timeline != opts.timeline)
                throw Error("prior backup " + prior + " is on timeline " +
                            std::to_string(p->manifest.timeline) + ", the server on " +
                            std::to_string(opts.timeline) + "; take a full backup");
            prior_ = p->manifest;
            drop_repos_without_chain(RepoLayout(repos_, repo_.stanza()), prior_);
        }
    }

    const int64_t now = static_cast<int64_t>(std::time(nullptr));
    std::string after = newest_label(repo_);
    if (!opts.label_after.empty() && is_valid_label(opts.label_after) &&
        (after.empty() || label_time(opts.label_after) > label_time(after)))
        after = opts.label_after;
    if (type == "full")
        label_ = allocate_label(repo_.store(), repo_.backup_root_key(), now, 'F', "", after);
    else
        label_ =
            allocate_label(repo_.store(), repo_.backup_root_key(), now,
                           type == "incremental" ? 'I' : 'D', full_label_of(prior_.label), after);
    manifest_.label = label_;
    manifest_.type = type;
    manifest_.holders = {label_};
    if (type != "full") {
        manifest_.prior = prior_.label;
        // Prior holder i becomes holder i + 1 (copy_files relies on it).
        for (const auto &h : prior_.holders)
            manifest_.holders.push_back(h);
        manifest_.holder_index(prior_.label);
        for (const auto &d : prior_.dependencies())
            manifest_.holder_index(d);
    }
    manifest_.system_id = std::to_string(system_id);
    manifest_.pg_version = pg_version;
}

void BackupSession::copy(const CancelPoll &cancel, const ProgressFn &progress) {
    if (copied_)
        throw Error("backup " + label_ + " was already copied");
    SourceListing src = list_data_directory(pgdata_);

    CopyStats stats;
    IncrementalBase inc;
    if (manifest_.type != "full") {
        inc.prior = &prior_;
        inc.threshold_lsn = parse_lsn(prior_.start_lsn);
        inc.holders = &manifest_.holders;
    }
    manifest_.files =
        copy_files(src.files, repo_.store(), dir(), cfg_.compress_level, cfg_.parallel, cancel,
                   progress, stats, inc.prior ? &inc : nullptr);
    manifest_.copied_bytes = stats.copied_bytes;
    changed_files_ = stats.changed_files;
    manifest_.directories = std::move(src.directories);
    manifest_.tablespaces = std::move(src.tablespaces);
    manifest_.original_bytes = stats.original_bytes;
    manifest_.stored_bytes = stats.stored_bytes;
    // One sync (syncfs on posix) instead of an fsync per object: nothing in the
    // backup counts until the manifest exists, and the manifest is written after this.
    repo_.store().sync(dir());
    copied_ = true;
}

BackupOutcome BackupSession::finish(const BackupStopInfo &stop) {
    if (!copied_)
        throw Error("backup " + label_ + " cannot finish: its files were not copied");
    if (finished_)
        throw Error("backup " + label_ + " is already finished");
    Manifest &m = manifest_;
    LabelFileInfo info = parse_labelfile(stop.labelfile);
    m.start_time = stop.start_time;
    m.stop_time = stop.stop_time;
    m.start_lsn = stop.start_lsn;
    m.stop_lsn = stop.stop_lsn;
    m.start_wal = info.start_wal;
    m.timeline = info.timeline;
    m.stop_wal = stop_wal_segment(info.timeline, parse_lsn(stop.stop_lsn));
    if (m.type != "full") {
        // Page LSNs only order changes within one history: after a restore
        // to an earlier point, new changes can carry LSNs below the prior's.
        if (m.timeline != prior_.timeline)
            throw Error("backup " + label_ + ": the timeline changed since prior backup " +
                        prior_.label + " (" + std::to_string(prior_.timeline) + " -> " +
                        std::to_string(m.timeline) + "); take a full backup");
        if (parse_lsn(m.start_lsn) < parse_lsn(prior_.stop_lsn))
            throw Error("backup " + label_ + ": start LSN " + m.start_lsn +
                        " lies before the end of prior backup " + prior_.label + " (" +
                        prior_.stop_lsn + "); take a full backup");
    }
    if (!stop.table_counts.empty()) {
        try {
            m.table_counts = nlohmann::json::parse(stop.table_counts);
        } catch (const nlohmann::json::exception &e) {
            throw Error("backup " + label_ + ": table_counts is not valid JSON: " + e.what());
        }
    }

    // A restore writes these into pgdata like any other file.
    auto add = [&](const std::string &rel, const std::string &content) {
        ManifestFile f = store_small_file(repo_.store(), dir(), rel, content, 0600, stop.stop_time,
                                          cfg_.compress_level);
        m.original_bytes += f.size;
        m.stored_bytes += f.stored_size;
        m.copied_bytes += f.size;
        changed_files_++;
        auto pos = std::lower_bound(
            m.files.begin(), m.files.end(), f,
            [](const ManifestFile &a, const ManifestFile &b) { return a.path < b.path; });
        m.files.insert(pos, std::move(f));
    };
    add("backup_label", stop.labelfile);
    if (!stop.spcmapfile.empty())
        add("tablespace_map", stop.spcmapfile);
    m.file_count = m.files.size();

    std::string text = m.to_json();
    BackupOutcome out;
    out.label = label_;
    out.manifest_path = repo_.store().url(repo_.manifest_key(label_));
    out.manifest_sha256 = sha256_hex(text.data(), text.size());
    repo_.store().write(repo_.manifest_key(label_), text.data(), text.size());
    finished_ = true;
    out.repositories = landed_where(*repos_);
    out.manifest = m;
    out.changed_files = changed_files_;
    return out;
}

void BackupSession::abort() {
    if (finished_ || label_.empty())
        return;
    if (repo_.store().exists(repo_.manifest_key(label_)))
        return;
    repo_.store().remove_tree(dir());
}

void discard_partial_backup(const Config &cfg, const std::string &label) {
    if (!is_valid_label(label))
        throw Error("\"" + label + "\" is not a backup label");
    RepoLayout repo = RepoLayout::for_read(cfg, true);
    if (repo.stanza().empty())
        return;
    // A backup with a manifest is complete (e.g. this catalog was restored
    // from a copy taken while that very backup ran): nothing to discard.
    if (repo.store().exists(repo.manifest_key(label)))
        return;
    repo.store().remove_tree(repo.backup_key(label));
}

} // namespace safekeep
