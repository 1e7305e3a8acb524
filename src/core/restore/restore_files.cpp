#include "restore/restore_files.h"

#include "io/direct_sink.h"
#include "io/cancel_check_sink.h"
#include "io/sha256.h"
#include "io/zstd_filter.h"
#include "os/files.h"
#include "util/error.h"

#include <algorithm>
#include <cerrno>
#include <unistd.h>
#include <fcntl.h>
#include <memory>
#include <sys/stat.h>

namespace safekeep {

namespace {

struct Range {
    uint64_t src, dst, len; // bytes: object offset, file offset, length
};

struct Worker {
    Sha256 sha;
    ZstdDecompressor zstd;
    std::vector<Range> ranges;
};

void pwrite_all(int fd, const uint8_t *data, size_t len, uint64_t off, const std::string &path) {
    while (len > 0) {
        ssize_t n = ::pwrite(fd, data, len, static_cast<off_t>(off));
        if (n < 0) {
            if (errno == EINTR)
                continue;
            throw_errno("could not write \"" + path + "\"");
        }
        data += n;
        len -= static_cast<size_t>(n);
        off += static_cast<uint64_t>(n);
    }
}

// Hashes an object's decompressed bytes and writes the parts that ranges
// (sorted by src) select to their places in the file.
class ScatterSink : public Sink {
  public:
    ScatterSink(Sha256 &sha, const std::vector<Range> &ranges, int fd, const std::string &path)
        : sha_(sha), ranges_(ranges), fd_(fd), path_(path) {}
    void write(const uint8_t *data, size_t len) override {
        sha_.update(data, len);
        while (len > 0) {
            while (idx_ < ranges_.size() && ranges_[idx_].src + ranges_[idx_].len <= pos_)
                idx_++;
            if (idx_ == ranges_.size()) {
                pos_ += len;
                return;
            }
            const Range &r = ranges_[idx_];
            size_t n;
            if (pos_ < r.src) {
                n = static_cast<size_t>(std::min<uint64_t>(len, r.src - pos_));
            } else {
                n = static_cast<size_t>(std::min<uint64_t>(len, r.src + r.len - pos_));
                pwrite_all(fd_, data, n, r.dst + (pos_ - r.src), path_);
                written_ += n;
            }
            pos_ += n;
            data += n;
            len -= n;
        }
    }
    uint64_t bytes() const { return pos_; }
    uint64_t written() const { return written_; }

  private:
    Sha256 &sha_;
    const std::vector<Range> &ranges_;
    int fd_;
    const std::string &path_;
    size_t idx_ = 0;
    uint64_t pos_ = 0, written_ = 0;
};

std::string object_desc(const std::string &object, const std::string &path) {
    return "backup object \"" + object + "\" for file \"" + path + "\"";
}

// Streams the object at key (compressed) through the decompressor into next;
// checks cancellation. Corrupt data becomes an Error naming object and file.
void decompress(Storage &store, const std::string &key, const std::string &path, Worker &w,
                Sink &next, ParallelState &state) {
    w.zstd.reset(next);
    CancelCheckSink checked(w.zstd, state);
    try {
        store.read_to(key, checked);
        w.zstd.finish();
    } catch (const NotFound &) {
        throw Error(object_desc(store.url(key), path) + " is missing");
    } catch (const CorruptData &e) {
        throw Error(object_desc(store.url(key), path) + " is corrupt: " + e.what());
    }
}

void set_mode_and_time(int fd, const ManifestFile &f, const std::string &dest) {
    if (::fchmod(fd, f.mode) != 0)
        throw_errno("could not set mode of \"" + dest + "\"");
    struct timespec times[2];
    times[0].tv_sec = times[1].tv_sec = static_cast<time_t>(f.mtime);
    times[0].tv_nsec = times[1].tv_nsec = 0;
    if (::futimens(fd, times) != 0)
        throw_errno("could not set modification time of \"" + dest + "\"");
}

// A whole object (this backup's or a referenced one) becomes the file.
void restore_whole(const ManifestFile &f, Storage &store, const std::string &object,
                   const std::string &dest, Worker &w, ParallelState &state) {
    DirectFileSink sink(dest, 0600);
    w.sha.reset();
    Sha256Filter hasher(w.sha, sink);
    decompress(store, object, f.path, w, hasher, state);
    std::string got = w.sha.final_hex();
    if (got != f.sha256 || sink.bytes() != f.size)
        throw Error(object_desc(store.url(object), f.path) + " is corrupt: sha256 " + got + " (" +
                    std::to_string(sink.bytes()) + " bytes), manifest says " + f.sha256 + " (" +
                    std::to_string(f.size) + " bytes)");
    set_mode_and_time(sink.fd(), f, dest);
    sink.close();
}

// A block-mapped file: each holder's object is decompressed once and its
// pages written where the map puts them; then the file's sha256 is checked.
void restore_blocks(const ManifestFile &f, const BackupChain &chain, const std::string &dest,
                    Worker &w, ParallelState &state) {
    const Manifest &self = chain.target();
    posix::Fd out = posix::open_file(dest, O_RDWR | O_CREAT | O_EXCL, 0600);
    if (::ftruncate(out.get(), static_cast<off_t>(f.size)) != 0)
        throw_errno("could not set the size of \"" + dest + "\"");

    std::vector<uint32_t> holders;
    for (const auto &r : f.blocks)
        if (std::find(holders.begin(), holders.end(), r.holder) == holders.end())
            holders.push_back(r.holder);
    uint64_t covered = 0;
    for (uint32_t h : holders) {
        if (h >= self.holders.size())
            throw Error("backup " + self.label + ": block map of \"" + f.path +
                        "\" names an unknown backup");
        const std::string &label = self.holders[h];
        const ManifestFile &entry =
            label == self.label ? f : holder_entry(chain, label, f.path, self.label);
        if (entry.object.empty())
            throw Error("backup " + self.label + " takes pages of \"" + f.path +
                        "\" from its own object, which it does not have");
        w.ranges.clear();
        uint64_t want = 0;
        for (const auto &r : f.blocks) {
            if (r.holder != h)
                continue;
            uint64_t dst = uint64_t(r.start) * kPageSize;
            uint64_t len =
                std::min<uint64_t>(uint64_t(r.count) * kPageSize, f.size > dst ? f.size - dst : 0);
            w.ranges.push_back({uint64_t(r.offset) * kPageSize, dst, len});
            want += len;
        }
        std::sort(w.ranges.begin(), w.ranges.end(),
                  [](const Range &a, const Range &b) { return a.src < b.src; });
        Storage &store = chain.repo().store();
        const std::string object = key_join(chain.dir(label), entry.object);
        w.sha.reset();
        ScatterSink scatter(w.sha, w.ranges, out.get(), dest);
        decompress(store, object, f.path, w, scatter, state);
        std::string got = w.sha.final_hex();
        if (got != entry.object_digest() || scatter.bytes() != entry.object_bytes())
            throw Error(object_desc(store.url(object), f.path) + " is corrupt: sha256 " + got +
                        " (" + std::to_string(scatter.bytes()) + " bytes), manifest says " +
                        entry.object_digest() + " (" + std::to_string(entry.object_bytes()) +
                        " bytes)");
        if (scatter.written() != want)
            throw Error(object_desc(store.url(object), f.path) +
                        " holds fewer pages than the block map of " + self.label + " needs");
        covered += want;
    }
    if (covered != f.size)
        throw Error("backup " + self.label + ": block map of \"" + f.path + "\" covers " +
                    std::to_string(covered) + " of " + std::to_string(f.size) + " bytes");
    // No comparison with f.sha256 here: that is the live file as the backup
    // read it, which may differ from the reassembled file in bytes that
    // changed without moving the page LSN (hint bits, a page torn by a
    // concurrent write); WAL replay repairs those. Every piece was checked
    // above against the sha256 of the object it came from.
    set_mode_and_time(out.get(), f, dest);
    out.close(dest);
}

void restore_one(const ManifestFile &f, const BackupChain &chain, const std::string &pgdata,
                 Worker &w, ParallelState &state) {
    std::string dest = posix::join(pgdata, f.path);
    const Manifest &self = chain.target();
    if (!f.blocks.empty())
        restore_blocks(f, chain, dest, w, state);
    else if (!f.reference.empty()) {
        const ManifestFile &h = holder_entry(chain, f.reference, f.path, self.label);
        if (!h.whole())
            throw Error("backup " + self.label + " refers to file \"" + f.path + "\" of backup " +
                        f.reference + ", which does not store it whole");
        restore_whole(f, chain.repo().store(), key_join(chain.dir(f.reference), h.object), dest, w,
                      state);
    } else
        restore_whole(f, chain.repo().store(), key_join(chain.dir(self.label), f.object), dest, w,
                      state);
    state.bytes_done.fetch_add(f.size, std::memory_order_relaxed);
}

} // namespace

void restore_files(const std::vector<const ManifestFile *> &files, const BackupChain &chain,
                   const std::string &pgdata, int parallel, const CancelPoll &cancel,
                   const ProgressFn &progress) {
    std::vector<const ManifestFile *> order(files);
    std::stable_sort(order.begin(), order.end(), [](const ManifestFile *a, const ManifestFile *b) {
        return a->size > b->size;
    });
    ProgressReport report;
    report.files_total = files.size();
    for (const auto *f : files)
        report.bytes_total += f->size;

    size_t n_workers = std::max<size_t>(1, std::min<size_t>(std::max(1, parallel), files.size()));
    std::vector<std::unique_ptr<Worker>> workers;
    for (size_t i = 0; i < n_workers; i++)
        workers.push_back(std::make_unique<Worker>());

    run_parallel(
        order.size(), static_cast<int>(n_workers),
        [&](size_t i, int w, ParallelState &state) {
            restore_one(*order[i], chain, pgdata, *workers[w], state);
            state.files_done.fetch_add(1, std::memory_order_relaxed);
        },
        cancel, progress_ticker(report, progress));
}

} // namespace safekeep
