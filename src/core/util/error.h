// Exception types the core throws; capi.cpp maps them to sk_status codes.
#pragma once

#include <stdexcept>
#include <string>

namespace safekeep {

// Any failure; the message says what failed and names the file or object.
class Error : public std::runtime_error {
  public:
    explicit Error(const std::string &msg) : std::runtime_error(msg) {}
};

// The requested thing (WAL file, backup) is not in the repository.
class NotFound : public Error {
  public:
    explicit NotFound(const std::string &msg) : Error(msg) {}
};

// Stored data failed to decode (bad zstd stream); callers add the object name.
class CorruptData : public Error {
  public:
    explicit CorruptData(const std::string &msg) : Error(msg) {}
};

// The caller asked us to stop.
class Canceled : public Error {
  public:
    Canceled() : Error("operation canceled") {}
};

// Throws Error("<what>: <strerror(err)>").
[[noreturn]] void throw_errno(const std::string &what, int err);
// Same, with the current errno.
[[noreturn]] void throw_errno(const std::string &what);

} // namespace safekeep
