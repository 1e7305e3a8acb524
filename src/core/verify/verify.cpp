#include "verify/verify.h"

#include "io/sha256.h"
#include "io/zstd_filter.h"
#include "repo/label.h"
#include "repo/layout.h"
#include "repo/manifest.h"
#include "repo/manifest_scan.h"
#include "util/error.h"
#include "wal/list.h"
#include "wal/lsn.h"
#include "wal/wal_name.h"

#include <algorithm>
#include <fcntl.h>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <sys/stat.h>

namespace safekeep {

namespace {

struct Loaded {
    std::string label;
    bool ok = false;
    std::string error;
    Manifest manifest;
};

// Every backup directory with a manifest, parsed or not.
std::map<std::string, Loaded> load_all(const RepoLayout &repo) {
    std::map<std::string, Loaded> out;
    if (repo.stanza().empty())
        return out;
    Storage &store = repo.store();
    for (const auto &m : read_manifests(store, repo.backup_root_key(), is_valid_label)) {
        const std::string &name = m.label;
        Loaded l;
        l.label = name;
        try {
            l.manifest = Manifest::from_json(m.text, store.url(m.key));
            l.ok = true;
            if (l.manifest.label != name) {
                l.ok = false;
                l.error = "manifest names backup " + l.manifest.label;
            }
        } catch (const std::exception &ex) {
            l.error = ex.what();
        }
        out[name] = std::move(l);
    }
    return out;
}

// Counts and hashes what flows through.
class CountingSink : public Sink {
  public:
    explicit CountingSink(Sha256 &sha) : sha_(sha) {}
    void write(const uint8_t *data, size_t len) override {
        sha_.update(data, len);
        bytes_ += len;
    }
    uint64_t bytes() const { return bytes_; }

  private:
    Sha256 &sha_;
    uint64_t bytes_ = 0;
};

struct ObjectCheck {
    std::string label;
    std::string holder; // the backup whose directory holds the object
    std::string rel;    // relative to the stanza directory
    std::string key;    // in the repository's storage
    std::string file;   // pgdata path it belongs to
    uint64_t stored_size = 0;
    uint64_t bytes = 0;
    std::string sha256;
    bool deep = true; // decompress and hash; else presence and stored size only
};

struct Worker {
    Sha256 sha;
    ZstdDecompressor zstd;
};

class Verifier {
  public:
    Verifier(const Config &cfg, const CancelPoll &cancel)
        : cfg_(cfg), repo_(RepoLayout::for_read(cfg, true)), cancel_(cancel) {}

    VerifyReport run(const std::string &label, bool wal_to_newest) {
        backups_ = load_all(repo_);
        VerifyReport report;
        std::vector<std::string> labels;
        if (!label.empty()) {
            if (!is_valid_label(label) || !backups_.count(label))
                throw NotFound("backup \"" + label + "\" does not exist in repository \"" +
                               repo_.where() + "\"");
            labels.push_back(label);
        } else {
            for (const auto &b : backups_)
                labels.push_back(b.first);
        }
        wal_ = list_wal_objects(repo_);
        for (const auto &w : wal_)
            wal_by_name_[w.name] = &w;

        for (const auto &l : labels)
            check_backup(backups_.at(l), wal_to_newest);
        check_objects();
        std::stable_sort(
            problems_.begin(), problems_.end(),
            [](const VerifyProblem &a, const VerifyProblem &b) { return a.label < b.label; });
        report.checked = labels;
        report.problems = std::move(problems_);
        return report;
    }

  private:
    void problem(const std::string &label, const std::string &kind, const std::string &object,
                 const std::string &detail) {
        std::lock_guard<std::mutex> g(mu_);
        problems_.push_back({label, kind, object, detail});
    }

    std::string object_rel(const std::string &label, const std::string &object) const {
        return "backup/" + label + "/" + object;
    }

    void check_backup(const Loaded &b, bool wal_to_newest) {
        if (!b.ok) {
            problem(b.label, "manifest", "backup/" + b.label + "/manifest.json", b.error);
            return;
        }
        const Manifest &m = b.manifest;
        // The chain.
        if (m.type != "full") {
            if (m.prior.empty())
                problem(b.label, "chain", "backup/" + b.label + "/manifest.json",
                        m.type + " backup names no prior backup");
            else if (!usable(m.prior))
                problem(b.label, "chain", "backup/" + m.prior + "/manifest.json",
                        "prior backup " + m.prior + " is missing");
        }
        std::set<std::string> missing;
        for (const auto &dep : m.dependencies())
            if (!usable(dep)) {
                missing.insert(dep);
                if (dep != m.prior)
                    problem(b.label, "chain", "backup/" + dep + "/manifest.json",
                            "backup " + dep + ", which holds data of this backup, is missing");
            }
        std::set<std::string> shallow_seen;
        for (const auto &f : m.files)
            check_file(b.label, m, f, missing, shallow_seen);
        check_wal(b.label, m, wal_to_newest);
    }

    bool usable(const std::string &label) const {
        auto it = backups_.find(label);
        return it != backups_.end() && it->second.ok;
    }

    void add_object(const std::string &label, const ManifestFile &f, const ManifestFile &holder,
                    const std::string &holder_label, bool deep) {
        ObjectCheck c;
        c.label = label;
        c.holder = holder_label;
        c.rel = object_rel(holder_label, holder.object);
        c.key = key_join(repo_.stanza_key(), c.rel);
        c.file = f.path;
        c.stored_size = holder.stored_size;
        c.bytes = holder.object_bytes();
        c.sha256 = holder.object_digest();
        c.deep = deep;
        checks_.push_back(std::move(c));
    }

    void check_file(const std::string &label, const Manifest &m, const ManifestFile &f,
                    const std::set<std::string> &missing, std::set<std::string> &shallow_seen) {
        const std::string where = "backup/" + label + "/manifest.json";
        if (!f.object.empty())
            add_object(label, f, f, label, true);
        // Objects of earlier backups this file is read from.
        auto holder_file = [&](const std::string &h) -> const ManifestFile * {
            if (missing.count(h))
                return nullptr; // reported once above
            const ManifestFile *e = backups_.at(h).manifest.find(f.path);
            if (!e || e->object.empty()) {
                problem(label, "chain", object_rel(h, "data/" + f.path + ".zst"),
                        "file \"" + f.path + "\" is taken from backup " + h +
                            ", which does not store it");
                return nullptr;
            }
            if (shallow_seen.insert(h + "\n" + f.path).second)
                add_object(label, f, *e, h, false);
            return e;
        };
        if (!f.reference.empty()) {
            if (f.reference == label) {
                problem(label, "manifest", where, "file \"" + f.path + "\" refers to itself");
                return;
            }
            const ManifestFile *e = holder_file(f.reference);
            if (e && (!e->whole() || e->sha256 != f.sha256 || e->size != f.size))
                problem(label, "chain", object_rel(f.reference, e->object),
                        "file \"" + f.path + "\" refers to backup " + f.reference +
                            ", whose copy differs (size or sha256)");
            return;
        }
        if (f.blocks.empty())
            return;
        // The block map must cover the file exactly, in order.
        const uint64_t nblocks = (f.size + kPageSize - 1) / kPageSize;
        uint64_t next = 0, own_pages = 0;
        bool ok = true;
        for (const auto &r : f.blocks) {
            if (r.start != next || r.count == 0 || r.holder >= m.holders.size())
                ok = false;
            next = uint64_t(r.start) + r.count;
            if (!ok)
                break;
            const std::string &h = m.holders[r.holder];
            uint64_t end_page = uint64_t(r.offset) + r.count;
            if (h == label) {
                own_pages = std::max(own_pages, end_page);
                continue;
            }
            const ManifestFile *e = holder_file(h);
            if (e && end_page * kPageSize > e->object_bytes() + kPageSize - 1)
                problem(label, "chain", object_rel(h, e->object),
                        "block map of \"" + f.path + "\" needs pages up to " +
                            std::to_string(end_page) + " of this object, which holds fewer");
        }
        if (!ok || next != nblocks)
            problem(label, "manifest", where,
                    "block map of \"" + f.path + "\" does not cover its " +
                        std::to_string(nblocks) + " blocks");
        if (own_pages * kPageSize > f.object_bytes() + kPageSize - 1)
            problem(label, "manifest", where,
                    "block map of \"" + f.path + "\" needs more pages than its object holds");
    }

    void check_objects() {
        if (checks_.empty())
            return;
        // Stored sizes from one listing per backup read instead of a stat (or
        // a HEAD on S3) per object; backups not being checked are not listed.
        std::set<std::string> holders;
        for (const auto &c : checks_)
            holders.insert(c.holder);
        for (const auto &h : holders) {
            const std::string dir = repo_.backup_key(h);
            for (const auto &o : repo_.store().list(dir))
                stored_sizes_[key_join(dir, o.key)] = o.size;
        }
        int threads = std::max(1, std::min<int>(cfg_.parallel, static_cast<int>(checks_.size())));
        std::vector<std::unique_ptr<Worker>> workers;
        for (int i = 0; i < threads; i++)
            workers.push_back(std::make_unique<Worker>());
        // Biggest first.
        std::stable_sort(checks_.begin(), checks_.end(),
                         [](const ObjectCheck &a, const ObjectCheck &b) {
                             return a.deep != b.deep ? a.deep : a.stored_size > b.stored_size;
                         });
        run_parallel(checks_.size(), threads,
                     [&](size_t i, int w, ParallelState &state) {
                         check_object(checks_[i], *workers[w], state);
                     },
                     cancel_, {});
    }

    void check_object(const ObjectCheck &c, Worker &w, ParallelState &state) {
        const std::string what = "file \"" + c.file + "\": ";
        auto stored = stored_sizes_.find(c.key);
        if (stored == stored_sizes_.end()) {
            problem(c.label, "missing_object", c.rel, what + "object is missing");
            return;
        }
        const uint64_t want = repo_.store().physical_size(c.stored_size);
        if (stored->second != want) {
            problem(c.label, "corrupt_object", c.rel,
                    what + "stored size " + std::to_string(stored->second) + ", manifest says " +
                        std::to_string(want));
            return;
        }
        if (!c.deep)
            return;
        w.sha.reset();
        CountingSink sink(w.sha);
        w.zstd.reset(sink);
        CancelCheckSink checked(w.zstd, state);
        try {
            repo_.store().read_to(c.key, checked);
            w.zstd.finish();
        } catch (const NotFound &) {
            problem(c.label, "missing_object", c.rel, what + "object is missing");
            return;
        } catch (const CorruptData &e) {
            problem(c.label, "corrupt_object", c.rel, what + "cannot be decompressed: " + e.what());
            return;
        }
        std::string got = w.sha.final_hex();
        if (got != c.sha256 || sink.bytes() != c.bytes)
            problem(c.label, "corrupt_object", c.rel,
                    what + "sha256 " + got + " (" + std::to_string(sink.bytes()) +
                        " bytes), manifest says " + c.sha256 + " (" + std::to_string(c.bytes) +
                        " bytes)");
    }

    // Checks one archived segment's content (once per run).
    void check_wal_object(const std::string &label, const WalObject &w) {
        auto done = wal_checked_.find(w.name);
        if (done != wal_checked_.end()) {
            if (!done->second.empty())
                problem(label, "corrupt_wal", w.rel, done->second);
            return;
        }
        std::string error;
        try {
            std::string packed = repo_.store().read(w.key);
            std::vector<uint8_t> raw = zstd_decompress(packed.data(), packed.size());
            std::string got = sha256_hex(raw.data(), raw.size());
            if (got != w.sha256)
                error = "WAL file " + w.name + ": sha256 " + got + " does not match " + w.sha256;
        } catch (const CorruptData &e) {
            error = "WAL file " + w.name + " cannot be decompressed: " + e.what();
        }
        wal_checked_[w.name] = error;
        if (!error.empty())
            problem(label, "corrupt_wal", w.rel, error);
    }

    void missing_range(const std::string &label, uint32_t tli, uint64_t first, uint64_t last,
                       const char *why) {
        std::string a = wal_segment_name(tli, first);
        if (first == last)
            problem(label, "missing_wal", a, "WAL segment " + a + " " + why + " is missing");
        else
            problem(label, "missing_wal", a,
                    std::to_string(last - first + 1) + " WAL segments " + a + " .. " +
                        wal_segment_name(tli, last) + " " + why + " are missing");
    }

    void check_wal(const std::string &label, const Manifest &m, bool wal_to_newest) {
        uint32_t tli = 0, stop_tli = 0;
        uint64_t start = 0, stop = 0;
        if (!parse_segment_name(m.start_wal, tli, start) ||
            !parse_segment_name(m.stop_wal, stop_tli, stop) || stop < start) {
            problem(label, "manifest", "backup/" + label + "/manifest.json",
                    "start or stop WAL segment is invalid");
            return;
        }
        // The backup needs start..stop to become consistent.
        uint64_t gap_start = 0;
        bool in_gap = false;
        for (uint64_t s = start; s <= stop; s++) {
            auto it = wal_by_name_.find(wal_segment_name(tli, s));
            if (it == wal_by_name_.end()) {
                if (!in_gap)
                    gap_start = s;
                in_gap = true;
                continue;
            }
            if (in_gap)
                missing_range(label, tli, gap_start, s - 1, "needed to make the backup consistent");
            in_gap = false;
            check_wal_object(label, *it->second);
        }
        if (in_gap)
            missing_range(label, tli, gap_start, stop, "needed to make the backup consistent");
        if (!wal_to_newest)
            return;

        // Then every segment up to the newest archived one, on this timeline
        // or, where it ends, on a later one.
        std::map<uint64_t, std::set<uint32_t>> by_segno; // segno -> timelines having it
        uint64_t newest = stop;
        for (const auto &w : wal_) {
            uint32_t t;
            uint64_t s;
            if (classify_wal_name(w.name) != WalKind::Segment || !parse_segment_name(w.name, t, s))
                continue;
            if (t < tli)
                continue;
            by_segno[s].insert(t);
            newest = std::max(newest, s);
        }
        uint32_t cur = tli;
        in_gap = false;
        for (uint64_t s = stop + 1; s <= newest; s++) {
            auto it = by_segno.find(s);
            bool found = false;
            if (it != by_segno.end()) {
                // Stay on this timeline while it goes on; else switch to the next one.
                if (it->second.count(cur))
                    found = true;
                else {
                    auto higher = it->second.upper_bound(cur);
                    if (higher != it->second.end()) {
                        cur = *higher;
                        found = true;
                    }
                }
            }
            if (!found) {
                if (!in_gap)
                    gap_start = s;
                in_gap = true;
                continue;
            }
            if (in_gap)
                missing_range(label, cur, gap_start, s - 1, "before the newest archived WAL");
            in_gap = false;
        }
        if (in_gap)
            missing_range(label, cur, gap_start, newest, "before the newest archived WAL");
    }

    Config cfg_;
    RepoLayout repo_;
    CancelPoll cancel_;
    std::map<std::string, Loaded> backups_;
    std::vector<WalObject> wal_;
    std::map<std::string, const WalObject *> wal_by_name_;
    std::map<std::string, std::string> wal_checked_;
    std::vector<ObjectCheck> checks_;
    std::map<std::string, uint64_t> stored_sizes_; // key -> stored bytes
    std::mutex mu_;
    std::vector<VerifyProblem> problems_;
};

} // namespace

VerifyReport verify_backups(const Config &cfg, const std::string &label, bool wal_to_newest,
                            const CancelPoll &cancel) {
    return Verifier(cfg, cancel).run(label, wal_to_newest);
}

std::string problems_json(const std::vector<VerifyProblem> &problems) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto &p : problems)
        out.push_back(
            {{"label", p.label}, {"kind", p.kind}, {"object", p.object}, {"detail", p.detail}});
    return out.dump();
}

} // namespace safekeep
