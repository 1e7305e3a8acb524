// Where an S3 client connects and how it behaves: shared by the client and
// its transport.
#pragma once

#include "storage/s3/credentials.h"

#include <cstddef>
#include <string>

namespace safekeep::s3 {

struct Settings {
    std::string endpoint; // "https://host:port" / "http://127.0.0.1:port"; no scheme => https://
    std::string bucket, region = "us-east-1";
    std::string prefix;          // key prefix inside the bucket, no leading/trailing '/'
    bool path_style = true;      // false: virtual-host style bucket.host
    bool verify_tls = true;      // verify the server's certificate and host name
    std::string ca_file;         // optional CA bundle
    std::string storage_class;   // x-amz-storage-class of new objects; "": the bucket's default
    size_t part_size = 16 << 20; // multipart above this; S3 wants >= 5 MiB (tests use less)
    int upload_threads = 4;      // parallel part uploads
    int max_attempts = 5;        // tries per request (retries with backoff + jitter)
    int retry_base_ms = 250;     // first backoff; doubles per retry, with jitter
    int retry_max_ms = 20000;    // backoff ceiling
    int connect_timeout_s = 15;  // TCP + TLS connect
    int stall_timeout_s = 60;    // abort a transfer that moves < 1 byte/s this long
    int list_page_size = 1000;   // ListObjectsV2 max-keys (S3 caps it at 1000)
    Credentials credentials;
};

} // namespace safekeep::s3
