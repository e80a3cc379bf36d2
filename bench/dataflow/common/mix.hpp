#pragma once
// The one hash every generator and checksum of the dataflow benchmarks uses: SplitMix64's
// finalizer. Deterministic across runs and machines, so a fixed seed gives the same inputs to the
// framework, the hand-written baseline and the Dask script (which repeats it with numpy).

#include <cstdint>
#include <string_view>

namespace bench::dataflow {

constexpr std::uint64_t mix(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

// The i-th value of the stream named by seed: independent streams for independent inputs.
constexpr std::uint64_t stream(std::uint64_t seed, std::uint64_t i) {
  return mix(mix(seed) ^ i);
}

// A uniform double in [0, 1) from the top 53 bits.
constexpr double unit(std::uint64_t bits) {
  return static_cast<double>(bits >> 11) * 0x1.0p-53;
}

// FNV-1a: a string's identity in checksums.
constexpr std::uint64_t fnv1a(std::string_view text) {
  std::uint64_t h = 0xcbf29ce484222325ULL;
  for (char c : text) h = (h ^ static_cast<unsigned char>(c)) * 0x100000001b3ULL;
  return h;
}

}  // namespace bench::dataflow
