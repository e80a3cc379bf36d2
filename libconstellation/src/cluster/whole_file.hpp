#pragma once
// Reading a regular file whole: a binary to deploy, or one from a binary cache.

#include <cstdint>
#include <expected>
#include <limits>
#include <string>

namespace constellation::cluster {

// The file's bytes; an error naming the file when it cannot be read, is not a regular file, or
// holds more than max_bytes.
std::expected<std::string, std::string> read_whole_file(
    const std::string& path, std::uint64_t max_bytes = std::numeric_limits<std::uint64_t>::max());

}  // namespace constellation::cluster
