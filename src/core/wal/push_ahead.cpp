#include "wal/push_ahead.h"

#include "os/files.h"
#include "util/error.h"
#include "os/stop.h"
#include "wal/archive.h"
#include "format/wal_name.h"

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <csignal>
#include <deque>
#include <map>
#include <mutex>
#include <pthread.h>
#include <thread>
#include <vector>

namespace safekeep {

namespace {

struct AheadJob {
    Config cfg;
    uint64_t system_id;
    int pg_version;
    std::string name, path;
};

enum class State { Queued, Running, Done, Failed };

bool history_first(const std::string &a, const std::string &b) {
    bool ha = classify_wal_name(a) == WalKind::History;
    bool hb = classify_wal_name(b) == WalKind::History;
    if (ha != hb)
        return ha;
    return a < b;
}

// Shared between the archiver's thread and the helper threads. Helpers only
// do file I/O and hashing; they never touch PostgreSQL.
class AheadPool {
  public:
    // Waits for a job on name if one is queued or running. Returns true when
    // it completed (name is durable); false when there was none or it failed
    // (the caller then pushes synchronously and reports the error itself).
    bool claim(const std::string &name) {
        std::unique_lock<std::mutex> lock(mu_);
        auto it = states_.find(name);
        if (it == states_.end())
            return false;
        if (it->second == State::Queued) {
            // Not started: take it back and do it on the caller's thread.
            queue_.erase(std::remove_if(queue_.begin(), queue_.end(),
                                        [&](const AheadJob &j) { return j.name == name; }),
                         queue_.end());
            states_.erase(it);
            return false;
        }
        // In slices: when the postmaster dies the archiver must return (and
        // exit) now, not when a helper's push ends. The helper keeps its job;
        // the process exit ends it, and its temp object is never renamed in.
        while (!done_cv_.wait_for(lock, kStopSlice, [&] {
            auto s = states_.find(name);
            return s == states_.end() || (s->second != State::Running);
        }))
            check_stop();
        auto s = states_.find(name);
        bool ok = s != states_.end() && s->second == State::Done;
        if (s != states_.end())
            states_.erase(s);
        return ok;
    }

    void enqueue(AheadJob job, int threads) {
        std::lock_guard<std::mutex> lock(mu_);
        if (states_.count(job.name))
            return;
        states_[job.name] = State::Queued;
        queue_.push_back(std::move(job));
        start_threads(threads);
        work_cv_.notify_one();
    }

    // Results for files the archiver has moved past (it may have archived
    // them some other way) would otherwise count against `ahead` forever.
    size_t pending_after_pruning(const std::string &current) {
        std::lock_guard<std::mutex> lock(mu_);
        for (auto it = states_.begin(); it != states_.end();) {
            bool finished = it->second == State::Done || it->second == State::Failed;
            if (finished && history_first(it->first, current))
                it = states_.erase(it);
            else
                ++it;
        }
        return states_.size();
    }

  private:
    void start_threads(int wanted) {
        if (static_cast<int>(threads_) >= wanted)
            return;
        // Threads inherit the signal mask: keep every signal on the archiver's
        // own thread, whose handlers PostgreSQL installed.
        sigset_t all, old;
        sigfillset(&all);
        pthread_sigmask(SIG_SETMASK, &all, &old);
        for (; static_cast<int>(threads_) < wanted; threads_++)
            std::thread([this] { run(); }).detach();
        pthread_sigmask(SIG_SETMASK, &old, nullptr);
    }

    void run() {
        for (;;) {
            AheadJob job;
            {
                std::unique_lock<std::mutex> lock(mu_);
                work_cv_.wait(lock, [&] { return !queue_.empty(); });
                job = std::move(queue_.front());
                queue_.pop_front();
                states_[job.name] = State::Running;
            }
            State result = State::Done;
            try {
                wal_push(job.cfg, job.system_id, job.pg_version, job.name, job.path);
            } catch (...) {
                // Reported when the archiver asks for this file and retries it.
                result = State::Failed;
            }
            {
                std::lock_guard<std::mutex> lock(mu_);
                states_[job.name] = result;
            }
            done_cv_.notify_all();
        }
    }

    std::mutex mu_;
    std::condition_variable work_cv_, done_cv_;
    std::deque<AheadJob> queue_;
    std::map<std::string, State> states_;
    size_t threads_ = 0;
};

AheadPool &pool() {
    // Deliberately leaked: detached helpers may still use it while the
    // archiver exits, so it must outlive static destruction.
    static AheadPool *p = new AheadPool();
    return *p;
}

} // namespace

std::vector<std::string> ready_wal_files(const std::string &pg_wal_dir) {
    static const std::string suffix = ".ready";
    std::vector<std::string> names;
    for (const auto &e : posix::list_dir_if_exists(posix::join(pg_wal_dir, "archive_status"))) {
        if (e.name.size() <= suffix.size() ||
            e.name.compare(e.name.size() - suffix.size(), suffix.size(), suffix) != 0)
            continue;
        std::string name = e.name.substr(0, e.name.size() - suffix.size());
        if (classify_wal_name(name) != WalKind::Invalid)
            names.push_back(name);
    }
    std::sort(names.begin(), names.end(), history_first);
    return names;
}

void wal_push_with_ahead(const Config &cfg, uint64_t system_id, int pg_version,
                         const std::string &wal_name, const std::string &wal_path, int ahead) {
    AheadPool &p = pool();
    if (ahead > 0) {
        std::string pg_wal = posix::dirname(wal_path);
        size_t queued = p.pending_after_pruning(wal_name);
        for (const auto &name : ready_wal_files(pg_wal)) {
            if (queued >= static_cast<size_t>(ahead))
                break;
            if (name == wal_name || !history_first(wal_name, name))
                continue; // only files the archiver will ask for after this one
            p.enqueue(AheadJob{cfg, system_id, pg_version, name, posix::join(pg_wal, name)}, ahead);
            queued++;
        }
    }
    if (p.claim(wal_name))
        return;
    wal_push(cfg, system_id, pg_version, wal_name, wal_path);
}

} // namespace safekeep
