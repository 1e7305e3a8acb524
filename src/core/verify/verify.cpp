#include "verify/verify.h"

#include "io/cancel_check_sink.h"
#include "io/sha256.h"
#include "io/zstd_filter.h"
#include "repo/label.h"
#include "repo/layout.h"
#include "repo/manifest.h"
#include "repo/manifest_scan.h"
#include "util/error.h"
#include "format/segment_check.h"
#include "repo/wal_list.h"
#include "format/lsn.h"
#include "format/wal_name.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
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

// One stored object of a backup, checked once however many backups read it.
struct ObjectCheck {
    std::string holder; // the backup whose directory holds the object
    std::string rel;    // relative to the stanza directory
    std::string key;    // in the repository's storage
    std::string file;   // pgdata path it belongs to
    uint64_t stored_size = 0;
    uint64_t bytes = 0;
    std::string sha256;
    // The outcome: kind empty when the object is sound.
    std::string kind, detail;
};

// One archived WAL object, checked once for every backup that needs it.
struct WalCheck {
    const WalObject *wal = nullptr;
    WalExpectation expect;
    std::set<std::string> labels; // backups that need it
    std::string detail;           // empty when sound
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
            wal_by_name_[w.name].push_back(&w);
        index_readers();

        for (const auto &l : labels)
            check_backup(backups_.at(l), wal_to_newest);
        run_checks();
        report_objects();
        report_wal();
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

    std::string object_key(const std::string &holder, const ManifestFile &f) const {
        return key_join(repo_.stanza_key(), object_rel(holder, f.object));
    }

    bool usable(const std::string &label) const {
        auto it = backups_.find(label);
        return it != backups_.end() && it->second.ok;
    }

    // The stored file a backup reads for f from backup h, or null.
    const ManifestFile *stored_in(const std::string &h, const ManifestFile &f) const {
        if (!usable(h))
            return nullptr;
        const ManifestFile *e = backups_.at(h).manifest.find(f.path);
        return e && !e->object.empty() ? e : nullptr;
    }

    // Calls fn(holder, stored file) for every object a restore of m reads.
    template <typename Fn> void for_each_read(const Manifest &m, Fn fn) const {
        for (const auto &f : m.files) {
            if (!f.object.empty())
                fn(m.label, f);
            if (!f.reference.empty() && f.reference != m.label) {
                if (const ManifestFile *e = stored_in(f.reference, f))
                    fn(f.reference, *e);
            }
            std::set<std::string> holders;
            for (const auto &r : f.blocks)
                if (r.holder < m.holders.size() && m.holders[r.holder] != m.label)
                    holders.insert(m.holders[r.holder]);
            for (const auto &h : holders)
                if (const ManifestFile *e = stored_in(h, f))
                    fn(h, *e);
        }
    }

    // Which backups read each object, over every backup in the repository:
    // a bad object of F is a problem of every backup whose restore reads it,
    // whichever backup was asked for.
    void index_readers() {
        for (const auto &b : backups_)
            if (b.second.ok)
                for_each_read(b.second.manifest, [&](const std::string &h, const ManifestFile &e) {
                    readers_[object_key(h, e)].insert(b.first);
                });
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
        for (const auto &f : m.files)
            check_file(b.label, m, f, missing);
        // Every object a restore of it reads, in full (decompress, decrypt,
        // sha256), the earlier backups' ones included.
        for_each_read(m, [&](const std::string &h, const ManifestFile &e) { add_object(h, e); });
        check_wal(b.label, m, wal_to_newest);
    }

    void add_object(const std::string &holder, const ManifestFile &stored) {
        ObjectCheck c;
        c.holder = holder;
        c.rel = object_rel(holder, stored.object);
        c.key = key_join(repo_.stanza_key(), c.rel);
        if (check_index_.count(c.key))
            return;
        c.file = stored.path;
        c.stored_size = stored.stored_size;
        c.bytes = stored.object_bytes();
        c.sha256 = stored.object_digest();
        check_index_[c.key] = checks_.size();
        checks_.push_back(std::move(c));
    }

    // The manifest's own consistency for one file: references and block maps.
    void check_file(const std::string &label, const Manifest &m, const ManifestFile &f,
                    const std::set<std::string> &missing) {
        const std::string where = "backup/" + label + "/manifest.json";
        auto holder_file = [&](const std::string &h) -> const ManifestFile * {
            if (missing.count(h))
                return nullptr; // reported once above
            const ManifestFile *e = stored_in(h, f);
            if (!e)
                problem(label, "chain", object_rel(h, "data/" + f.path + ".zst"),
                        "file \"" + f.path + "\" is taken from backup " + h +
                            ", which does not store it");
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

    // Objects and WAL in one pool, biggest first.
    void run_checks() {
        // Stored sizes from one listing per backup read instead of a stat (or
        // a HEAD on S3) per object; backups not being read are not listed.
        std::set<std::string> holders;
        for (const auto &c : checks_)
            holders.insert(c.holder);
        for (const auto &h : holders) {
            const std::string dir = repo_.backup_key(h);
            for (const auto &o : repo_.store().list(dir))
                stored_sizes_[key_join(dir, o.key)] = o.size;
        }
        struct Item {
            bool wal;
            size_t index;
            uint64_t size;
        };
        std::vector<Item> items;
        for (size_t i = 0; i < checks_.size(); i++)
            items.push_back({false, i, checks_[i].stored_size});
        for (size_t i = 0; i < wal_checks_.size(); i++)
            items.push_back({true, i, wal_checks_[i].wal->size});
        if (items.empty())
            return;
        std::stable_sort(items.begin(), items.end(),
                         [](const Item &a, const Item &b) { return a.size > b.size; });
        int threads = std::max(1, std::min<int>(cfg_.parallel, static_cast<int>(items.size())));
        std::vector<std::unique_ptr<Worker>> workers;
        for (int i = 0; i < threads; i++)
            workers.push_back(std::make_unique<Worker>());
        run_parallel(items.size(), threads,
                     [&](size_t i, int w, ParallelState &state) {
                         if (items[i].wal)
                             check_wal_object(wal_checks_[items[i].index], *workers[w], state);
                         else
                             check_object(checks_[items[i].index], *workers[w], state);
                     },
                     cancel_, {});
    }

    void check_object(ObjectCheck &c, Worker &w, ParallelState &state) {
        auto stored = stored_sizes_.find(c.key);
        if (stored == stored_sizes_.end()) {
            c.kind = "missing_object";
            c.detail = "object is missing";
            return;
        }
        const uint64_t want = repo_.store().physical_size(c.stored_size);
        if (stored->second != want) {
            c.kind = "corrupt_object";
            c.detail = "stored size " + std::to_string(stored->second) + ", manifest says " +
                       std::to_string(want);
            return;
        }
        w.sha.reset();
        CountingSink sink(w.sha);
        w.zstd.reset(sink);
        CancelCheckSink checked(w.zstd, state);
        try {
            repo_.store().read_to(c.key, checked);
            w.zstd.finish();
        } catch (const NotFound &) {
            c.kind = "missing_object";
            c.detail = "object is missing";
            return;
        } catch (const CorruptData &e) {
            c.kind = "corrupt_object";
            c.detail = std::string("cannot be read back (decrypted and decompressed): ") + e.what();
            return;
        }
        std::string got = w.sha.final_hex();
        if (got != c.sha256 || sink.bytes() != c.bytes) {
            c.kind = "corrupt_object";
            c.detail = "sha256 " + got + " (" + std::to_string(sink.bytes()) +
                       " bytes), manifest says " + c.sha256 + " (" + std::to_string(c.bytes) +
                       " bytes)";
        }
    }

    // A bad object is a problem of its own backup and of every backup that
    // reads it, each row naming the backup and object that is bad.
    void report_objects() {
        for (const auto &c : checks_) {
            if (c.kind.empty())
                continue;
            for (const auto &reader : readers_[c.key]) {
                std::string what = "file \"" + c.file + "\"";
                if (reader != c.holder)
                    what += ", read from backup " + c.holder;
                problem(reader, c.kind, c.rel, what + ": " + c.detail);
            }
        }
    }

    void check_wal_object(WalCheck &c, Worker &, ParallelState &) {
        const WalObject &w = *c.wal;
        try {
            std::string packed = repo_.store().read(w.key);
            std::vector<uint8_t> raw = zstd_decompress(packed.data(), packed.size());
            std::string got = sha256_hex(raw.data(), raw.size());
            if (got != w.sha256)
                c.detail = "WAL file " + w.name + ": sha256 " + got + " does not match " + w.sha256;
            else if (classify_wal_name(w.name) == WalKind::Segment) {
                std::string bad = wal_segment_problem(w.name, raw.data(), raw.size(), c.expect);
                if (!bad.empty())
                    c.detail = "WAL file " + w.name + " " + bad;
            }
        } catch (const NotFound &) {
            c.detail = "WAL file " + w.name + " vanished while being verified";
        } catch (const CorruptData &e) {
            c.detail = "WAL file " + w.name + " cannot be decompressed: " + e.what();
        }
    }

    void report_wal() {
        for (const auto &c : wal_checks_)
            if (!c.detail.empty())
                for (const auto &l : c.labels)
                    problem(l, "corrupt_wal", c.wal->rel, c.detail);
    }

    // Every archived copy of one WAL file is checked; more than one copy is
    // itself a problem (archive-get serves only a copy that checks out).
    void need_wal(const std::string &label, const Manifest &m,
                  const std::vector<const WalObject *> &copies) {
        for (const WalObject *w : copies) {
            auto it = wal_index_.find(w->key);
            if (it == wal_index_.end()) {
                WalCheck c;
                c.wal = w;
                c.expect.system_id = std::strtoull(m.system_id.c_str(), nullptr, 10);
                c.expect.pg_version = m.pg_version;
                it = wal_index_.emplace(w->key, wal_checks_.size()).first;
                wal_checks_.push_back(std::move(c));
            }
            wal_checks_[it->second].labels.insert(label);
        }
        if (copies.size() > 1) {
            std::string list;
            for (const WalObject *w : copies)
                list += (list.empty() ? "" : ", ") + w->rel;
            problem(label, "duplicate_wal", copies.front()->rel,
                    "WAL file " + copies.front()->name + " is archived " +
                        std::to_string(copies.size()) + " times: " + list);
        }
    }

    const std::vector<const WalObject *> *wal_copies(const std::string &name) const {
        auto it = wal_by_name_.find(name);
        return it == wal_by_name_.end() ? nullptr : &it->second;
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
            const auto *copies = wal_copies(wal_segment_name(tli, s));
            if (!copies) {
                if (!in_gap)
                    gap_start = s;
                in_gap = true;
                continue;
            }
            if (in_gap)
                missing_range(label, tli, gap_start, s - 1, "needed to make the backup consistent");
            in_gap = false;
            need_wal(label, m, *copies);
        }
        if (in_gap)
            missing_range(label, tli, gap_start, stop, "needed to make the backup consistent");
        if (!wal_to_newest)
            return;

        // Then every segment up to the newest archived one, on this timeline
        // or, where it ends, on a later one (whose history file must be there).
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
                        need_history(label, m, cur);
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
            need_wal(label, m, *wal_copies(wal_segment_name(cur, s)));
        }
        if (in_gap)
            missing_range(label, cur, gap_start, newest, "before the newest archived WAL");
    }

    // Recovery follows a timeline switch only through its history file.
    void need_history(const std::string &label, const Manifest &m, uint32_t tli) {
        char name[32];
        std::snprintf(name, sizeof name, "%08X.history", tli);
        if (const auto *copies = wal_copies(name))
            need_wal(label, m, *copies);
        else
            problem(label, "missing_wal", name,
                    "timeline history file " + std::string(name) +
                        ", needed to follow WAL onto timeline " + std::to_string(tli) +
                        ", is missing");
    }

    Config cfg_;
    RepoLayout repo_;
    CancelPoll cancel_;
    std::map<std::string, Loaded> backups_;
    std::vector<WalObject> wal_;
    std::map<std::string, std::vector<const WalObject *>> wal_by_name_;
    std::map<std::string, std::set<std::string>> readers_; // object key -> backups reading it
    std::vector<ObjectCheck> checks_;
    std::map<std::string, size_t> check_index_; // object key -> index in checks_
    std::vector<WalCheck> wal_checks_;
    std::map<std::string, size_t> wal_index_;      // WAL object key -> index in wal_checks_
    std::map<std::string, uint64_t> stored_sizes_; // key -> stored bytes
    std::mutex mu_;
    std::vector<VerifyProblem> problems_;
};

} // namespace

VerifyReport verify_backups(const Config &cfg, const std::string &label, bool wal_to_newest,
                            const CancelPoll &cancel) {
    return Verifier(cfg, cancel).run(label, wal_to_newest);
}

} // namespace safekeep
