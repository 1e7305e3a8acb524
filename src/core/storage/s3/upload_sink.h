// Streaming upload of one object: a Sink that cuts the stream into parts and
// uploads them on its own threads while the caller produces the next one.
#pragma once

#include "io/sink.h"
#include "storage/s3/transport.h"

#include <condition_variable>
#include <deque>
#include <exception>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace safekeep::s3 {

class UploadSink : public Sink {
  public:
    UploadSink(Transport &t, const Settings &s, std::string key);
    // Unfinished: stops the threads and aborts the multipart upload.
    ~UploadSink() override;
    void write(const uint8_t *data, size_t len) override;
    // A single PUT when everything fit in one part, else the last part and
    // CompleteMultipartUpload. Throws the first failure (after aborting).
    void finish() override;

  private:
    struct Part {
        int number;
        std::vector<uint8_t> data;
    };
    // Queues buf_ as the next part; waits while upload_threads parts are in flight.
    void queue_part();
    void worker();
    // Waits for queued parts, stops the threads; rethrows a part's failure.
    void drain();
    void stop_threads();

    Transport &t_;
    const size_t part_size_;
    const int threads_;
    const std::string key_;
    std::vector<uint8_t> buf_;
    std::string upload_id_;
    int parts_ = 0;
    bool done_ = false;

    std::mutex mu_;
    std::condition_variable cv_;
    std::deque<Part> queue_;
    int in_flight_ = 0; // queued or being uploaded
    bool closing_ = false;
    std::exception_ptr error_;
    std::vector<std::string> etags_;
    std::vector<std::thread> workers_;
};

} // namespace safekeep::s3
