// Programs whose stdin or stdout outruns what reads it: for the flow-control tests, which push
// more stdin than a daemon could hold, or read a job's output late.
#include "programs/modes.hpp"

#include <unistd.h>

#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <string>
#include <thread>

namespace cluster_programs {

int stdin_ignored() {
  std::printf("ready\n");
  std::fflush(stdout);
  // Never reads stdin: only the end of the job (a signal) ends it.
  while (true) std::this_thread::sleep_for(std::chrono::seconds(1));
}

int stdin_checksum() {
  std::printf("ready\n");
  std::fflush(stdout);
  std::uint64_t bytes = 0;
  std::uint64_t hash = fnv1a_basis;
  char buffer[64 * 1024];
  while (true) {
    const ssize_t n = ::read(0, buffer, sizeof buffer);
    if (n == 0) break;
    if (n < 0) {
      std::printf("read failed\n");
      return 1;
    }
    hash = fnv1a(hash, std::string_view(buffer, static_cast<std::size_t>(n)));
    bytes += static_cast<std::uint64_t>(n);
    // Slower than the deploy client can send, so that stdin waits somewhere on its way.
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  std::printf("read %" PRIu64 " bytes, fnv1a %016" PRIx64 "\n", bytes, hash);
  return 0;
}

int output_flood(std::uint64_t lines) {
  std::string line;
  for (std::uint64_t i = 0; i < lines; ++i) {
    flood_line(i, line);
    if (std::fwrite(line.data(), 1, line.size(), stdout) != line.size()) return 1;
  }
  return std::fflush(stdout) == 0 ? 0 : 1;
}

}  // namespace cluster_programs
