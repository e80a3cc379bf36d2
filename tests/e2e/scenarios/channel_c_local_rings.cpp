// Two processes on one host talk through shared memory by default: small and large messages go
// both ways in order, and each side's address space holds the link's rings (a memfd mapping,
// which is what a user sees in /proc/<pid>/maps).
#include "scenario.hpp"
#include "scenarios/rings_mapped.hpp"

#include <constellation/constellation.hpp>

#include <iostream>
#include <numeric>
#include <string>
#include <vector>

namespace {

constexpr int rounds = 2000;

void echo(constellation::pid parent) {
  constellation::receiver<std::vector<std::uint32_t>> in(parent);
  constellation::sender<std::uint64_t> out(parent);
  for (int i = 0; i < rounds; ++i) {
    const auto values = in.recv();
    out.send(std::accumulate(values.begin(), values.end(), std::uint64_t{0}));
  }
  std::cout << "rings mapped: " << (rings_mapped() ? "yes" : "no") << std::endl;
}

}  // namespace

CONSTELLATION_SCENARIO(channel_c_local_rings) {
  const auto child = constellation::spawn({.mem = 64 * constellation::MiB}, echo);
  constellation::sender<std::vector<std::uint32_t>> out(child);
  constellation::receiver<std::uint64_t> in(child);
  int correct = 0;
  for (int i = 0; i < rounds; ++i) {
    // Every 100th message is 4 MiB, larger than the ring: it passes in pieces.
    std::vector<std::uint32_t> values(i % 100 == 0 ? 1 << 20 : i % 50 + 1);
    std::iota(values.begin(), values.end(), static_cast<std::uint32_t>(i));
    out.send(values);
    if (in.recv() == std::accumulate(values.begin(), values.end(), std::uint64_t{0})) ++correct;
  }
  std::cout << correct << " of " << rounds
            << " answers correct, rings mapped: " << (rings_mapped() ? "yes" : "no") << std::endl;
  return correct == rounds ? 0 : 1;
}
