// Sorting with the dataflow layer: a few million pseudo-random 64-bit numbers are generated on the
// workers (a hash of 0..n-1), sorted by a sample-sort (a sample of keys picks the splitters between
// partitions, each worker sorts the partitions it receives), and collected in order. The result is
// checked against std::sort of the same numbers.
//
//   sort [n]      n numbers (default 3 000 000)
#include <constellation/constellation.hpp>
#include <constellation/dataflow.hpp>

#include <algorithm>
#include <cstdint>
#include <iostream>
#include <string>
#include <vector>

namespace df = constellation::dataflow;

// A bijective mix of the bits (SplitMix64's finaliser): spread, repeatable, no two alike.
std::uint64_t scramble(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

int main(int argc, char** argv) {
  constellation::init();
  const std::uint64_t n = argc > 1 ? std::stoull(argv[1]) : 3'000'000;

  df::options o;
  o.worker = {.mem = 512 * constellation::MiB, .cpu = 1};
  df::context ctx(o);
  const auto sorted =
      ctx.range(0, n).map(+[](const std::uint64_t& i) { return scramble(i); }).sort().collect();
  std::cout << "sorted " << sorted.size() << " numbers on " << ctx.workers() << " workers\n";

  // The same numbers, sorted by one thread.
  std::vector<std::uint64_t> expected(n);
  for (std::uint64_t i = 0; i < n; ++i) expected[i] = scramble(i);
  std::sort(expected.begin(), expected.end());

  if (sorted.size() != n || !std::is_sorted(sorted.begin(), sorted.end()) || sorted != expected) {
    std::cerr << "sort: wrong result (" << sorted.size() << " numbers, "
              << (std::is_sorted(sorted.begin(), sorted.end()) ? "in order" : "out of order")
              << ")\n";
    return 1;
  }
  std::cout << "smallest " << sorted.front() << ", largest " << sorted.back() << "\n";
}
