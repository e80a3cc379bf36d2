// Megabytes of output arrive whole and in order, from two processes at once: the top writes
// 8 MiB on stdout while a child writes 8 MiB on stderr, in writes of uneven sizes.
#include "scenario.hpp"

#include <constellation/constellation.hpp>

#include <unistd.h>

#include <cstdint>
#include <string>

namespace {

constexpr std::size_t total = 8 * 1024 * 1024;

// Not periodic at any write size, so that a lost, doubled or reordered piece changes the digest.
// The expectation's sha256 was computed from the same formula.
char pattern_byte(std::uint64_t i, unsigned seed) {
  const std::uint32_t x = static_cast<std::uint32_t>(i) * 0x9E3779B1u;
  return static_cast<char>(((x >> 24) ^ (i >> 16) ^ seed) & 0xff);
}

bool write_pattern(int fd, unsigned seed) {
  std::string bytes(total, '\0');
  for (std::size_t i = 0; i < total; ++i) bytes[i] = pattern_byte(i, seed);
  constexpr std::size_t sizes[] = {1, 7, 4096, 65536, 100000, 3, 1 << 20};
  std::size_t at = 0;
  for (std::size_t k = 0; at < total; ++k) {
    std::size_t chunk = std::min(sizes[k % std::size(sizes)], total - at);
    while (chunk > 0) {
      const ssize_t n = ::write(fd, bytes.data() + at, chunk);
      if (n <= 0) return false;
      at += static_cast<std::size_t>(n);
      chunk -= static_cast<std::size_t>(n);
    }
  }
  return true;
}

void write_to_stderr(constellation::pid) {
  if (!write_pattern(2, 0x5a)) std::_Exit(1);
}

}  // namespace

CONSTELLATION_SCENARIO(large_output) {
  constellation::spawn({}, write_to_stderr);
  return write_pattern(1, 0) ? 0 : 1;
}
