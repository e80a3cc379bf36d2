// CONSTELLATION_ENFORCE_LIMITS=1: a process that touches more memory than it asked for is killed,
// while its sibling within its limit is not.
#include "scenario.hpp"

#include <constellation/constellation.hpp>

#include <chrono>
#include <cstring>
#include <iostream>
#include <memory>
#include <thread>
#include <vector>

using namespace constellation::literals;

namespace {

// Touches every page, so that the memory is resident, not merely reserved.
void touch(constellation::pid, int mebibytes, bool hold) {
  std::vector<std::unique_ptr<char[]>> blocks;
  unsigned sum = 0;
  for (int i = 0; i < mebibytes; ++i) {
    blocks.push_back(std::make_unique<char[]>(1_MiB));
    std::memset(blocks.back().get(), i + 1, 1_MiB);
    sum += static_cast<unsigned char>(blocks.back()[i]);
  }
  // Holding the memory a while gives a limit enforced by polling time to see it.
  if (hold) std::this_thread::sleep_for(std::chrono::seconds(5));
  std::cout << "touched " << mebibytes << " MiB (" << sum << ")\n";
}

}  // namespace

CONSTELLATION_SCENARIO(memory_limit) {
  constellation::spawn({.mem = 64_MiB}, touch, 512, true);
  constellation::spawn({.mem = 64_MiB}, touch, 16, false);
  return 0;
}
