// Human-readable output: sizes, times and plain text tables.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace safekeep::cli {

// "1.5 MiB"; plain bytes below 1 KiB.
std::string format_bytes(uint64_t bytes);

// "2024-05-01T12:00:00Z" for unix seconds.
std::string format_utc(int64_t unix_seconds);

// Columns padded to their widest cell, separated by two spaces.
class Table {
  public:
    explicit Table(std::vector<std::string> header) : rows_{std::move(header)} {}
    void add(std::vector<std::string> row) { rows_.push_back(std::move(row)); }
    std::string render() const;

  private:
    std::vector<std::vector<std::string>> rows_;
};

} // namespace safekeep::cli
