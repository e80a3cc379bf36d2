// Every byte value passes through unchanged: the top writes 0..255 on stdout, a child 255..0 on
// stderr.
#include "scenario.hpp"

#include <constellation/constellation.hpp>

#include <unistd.h>

#include <string>

namespace {

std::string all_bytes(bool descending) {
  std::string bytes;
  for (int b = 0; b < 256; ++b) bytes += static_cast<char>(descending ? 255 - b : b);
  return bytes;
}

bool write_all(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n <= 0) return false;
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

void write_descending(constellation::pid) {
  write_all(2, all_bytes(true));
}

}  // namespace

CONSTELLATION_SCENARIO(binary_output) {
  constellation::spawn({}, write_descending);
  return write_all(1, all_bytes(false)) ? 0 : 1;
}
