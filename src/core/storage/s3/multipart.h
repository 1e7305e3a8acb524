// The four requests of an S3 multipart upload.
#pragma once

#include "storage/s3/transport.h"

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace safekeep::s3 {

// S3 allows part numbers 1..10000.
constexpr int kMaxParts = 10000;

// Returns the UploadId.
std::string initiate_multipart(Transport &t, const std::string &key);
// Returns the part's ETag.
std::string upload_part(Transport &t, const std::string &key, const std::string &upload_id,
                        int part, const uint8_t *data, size_t len);
// etags[i] is part i + 1's. S3 can answer 200 with an <Error> body: that throws too.
void complete_multipart(Transport &t, const std::string &key, const std::string &upload_id,
                        const std::vector<std::string> &etags);
// Best effort: never throws (an abort that fails leaves parts S3's lifecycle
// rules or a later abort clean up; the object itself was never created).
void abort_multipart(Transport &t, const std::string &key, const std::string &upload_id) noexcept;

} // namespace safekeep::s3
