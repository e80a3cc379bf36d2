// cluster_programs MODE: see modes.hpp. "huge_top" asks for more than any node has, so that its
// top process can never start.
#include "programs/modes.hpp"

#include <cstdio>
#include <string>
#include <string_view>

int main(int argc, char** argv) {
  const std::string_view mode = argc > 1 ? argv[1] : "";
  // Reading argv starts no thread: init() is still the first thing the program does.
  constellation::init(mode == "huge_top" ? cluster_programs::huge_top
                                         : cluster_programs::small_top);
  if (mode == "spread" || mode == "stubborn") return cluster_programs::spread(mode == "stubborn");
  if (mode == "spread_on_cue") return cluster_programs::spread(false, true);
  if (mode == "fan_out" && argc > 2) return cluster_programs::fan_out(std::stoul(argv[2]));
  if (mode == "abandoned_helpers") return cluster_programs::abandoned_helpers();
  if (mode == "capacity") return cluster_programs::capacity();
  if (mode == "never_fits") return cluster_programs::never_fits();
  if (mode == "memory_hog") return cluster_programs::memory_hog();
  if (mode == "hello" || mode == "huge_top") return cluster_programs::hello();
  if (mode == "short_lived" && argc > 2) return cluster_programs::short_lived(std::stoul(argv[2]));
  if (mode == "stdin_ignored") return cluster_programs::stdin_ignored();
  if (mode == "stdin_checksum") return cluster_programs::stdin_checksum();
  if (mode == "channel_target") return cluster_programs::channel_target();
  if (mode == "output_flood" && argc > 2)
    return cluster_programs::output_flood(std::stoull(argv[2]));
  std::fprintf(
      stderr,
      "cluster_programs: unknown mode \"%.*s\": spread, spread_on_cue, stubborn, fan_out N, "
      "capacity, never_fits, abandoned_helpers, memory_hog, hello, huge_top, short_lived N, "
      "stdin_ignored, stdin_checksum, output_flood LINES, channel_target\n",
      static_cast<int>(mode.size()), mode.data());
  return 2;
}
