#include "storage/s3/upload_sink.h"

#include "storage/s3/multipart.h"
#include "util/error.h"

#include <algorithm>
#include <csignal>
#include <pthread.h>

namespace safekeep::s3 {

UploadSink::UploadSink(Transport &t, const Settings &s, std::string key)
    : t_(t), part_size_(std::max<size_t>(1, s.part_size)), threads_(std::max(1, s.upload_threads)),
      key_(std::move(key)) {}

UploadSink::~UploadSink() {
    stop_threads();
    if (!done_ && !upload_id_.empty())
        abort_multipart(t_, key_, upload_id_);
}

void UploadSink::write(const uint8_t *data, size_t len) {
    if (done_)
        throw Error(t_.describe("PUT", key_) + ": write after finish");
    while (len > 0) {
        // A full buffer becomes a part only once more data arrives, so an
        // object of exactly part_size bytes is still a single PUT.
        if (buf_.size() == part_size_)
            queue_part();
        size_t take = std::min(len, part_size_ - buf_.size());
        buf_.insert(buf_.end(), data, data + take);
        data += take;
        len -= take;
    }
}

void UploadSink::queue_part() {
    if (parts_ >= kMaxParts)
        throw Error(t_.describe("PUT", key_) + ": more than " + std::to_string(kMaxParts) +
                    " parts; raise the part size");
    if (upload_id_.empty()) {
        upload_id_ = initiate_multipart(t_, key_);
        // Threads inherit the signal mask: block everything while creating
        // them so signals stay with the (PostgreSQL) caller's thread.
        sigset_t all, old;
        sigfillset(&all);
        pthread_sigmask(SIG_BLOCK, &all, &old);
        try {
            for (int i = 0; i < threads_; i++)
                workers_.emplace_back(&UploadSink::worker, this);
        } catch (...) {
            pthread_sigmask(SIG_SETMASK, &old, nullptr);
            throw;
        }
        pthread_sigmask(SIG_SETMASK, &old, nullptr);
    }
    std::unique_lock<std::mutex> lk(mu_);
    cv_.wait(lk, [&] { return in_flight_ < threads_ || error_; });
    if (error_)
        std::rethrow_exception(error_);
    queue_.push_back(Part{++parts_, std::move(buf_)});
    etags_.resize(parts_);
    in_flight_++;
    cv_.notify_all();
    lk.unlock();
    buf_ = std::vector<uint8_t>();
    buf_.reserve(part_size_);
}

void UploadSink::worker() {
    std::unique_lock<std::mutex> lk(mu_);
    for (;;) {
        cv_.wait(lk, [&] { return !queue_.empty() || closing_; });
        if (queue_.empty())
            return;
        Part p = std::move(queue_.front());
        queue_.pop_front();
        bool skip = static_cast<bool>(error_);
        lk.unlock();
        std::string etag;
        std::exception_ptr err;
        if (!skip) {
            try {
                etag = upload_part(t_, key_, upload_id_, p.number, p.data.data(), p.data.size());
            } catch (...) {
                err = std::current_exception();
            }
        }
        p.data = std::vector<uint8_t>(); // free before taking the lock
        lk.lock();
        if (err && !error_)
            error_ = err;
        etags_[p.number - 1] = etag;
        in_flight_--;
        cv_.notify_all();
    }
}

void UploadSink::drain() {
    {
        std::unique_lock<std::mutex> lk(mu_);
        cv_.wait(lk, [&] { return in_flight_ == 0; });
    }
    stop_threads();
    if (error_)
        std::rethrow_exception(error_);
}

void UploadSink::stop_threads() {
    {
        std::lock_guard<std::mutex> g(mu_);
        closing_ = true;
        in_flight_ -= static_cast<int>(queue_.size()); // not uploaded: abandoned
        queue_.clear();
        cv_.notify_all();
    }
    for (auto &w : workers_)
        w.join();
    workers_.clear();
}

void UploadSink::finish() {
    if (done_)
        return;
    if (upload_id_.empty()) {
        Request r;
        r.method = "PUT";
        r.key = key_;
        r.body = buf_.data();
        r.body_len = buf_.size();
        t_.perform(r);
        done_ = true;
        return;
    }
    try {
        if (!buf_.empty())
            queue_part();
        drain();
        complete_multipart(t_, key_, upload_id_, etags_);
    } catch (...) {
        stop_threads();
        abort_multipart(t_, key_, upload_id_);
        done_ = true;
        throw;
    }
    done_ = true;
}

} // namespace safekeep::s3
