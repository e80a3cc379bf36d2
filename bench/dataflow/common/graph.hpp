#pragma once
// PageRank's input: a directed graph whose in- and out-degrees follow a power law. Edge i joins
// two vertices each drawn log-uniformly from [0, vertices) (vertex v with probability about
// 1 / ((v + 1) ln vertices), Zipf's law with exponent 1), then scattered by a fixed permutation
// (for fewer than 2^32 vertices) so that the hubs are not all small numbers. Duplicate edges and
// self-loops are kept, as a crawl would; both the framework and the baseline see the same
// multigraph.

#include "mix.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <utility>

namespace bench::dataflow {

inline constexpr std::uint64_t graph_seed_source = 0x9a1, graph_seed_target = 0x9a2;

inline std::uint64_t power_law_vertex(std::uint64_t bits, std::uint64_t vertices) {
  const double x = std::exp(unit(bits) * std::log(static_cast<double>(vertices) + 1.0)) - 1.0;
  const auto rank = std::min(static_cast<std::uint64_t>(x), vertices - 1);
  // Multiplying by a prime that does not divide `vertices` permutes [0, vertices); the product
  // fits in 64 bits while vertices < 2^32.
  return (rank * 2654435761ULL + 12345) % vertices;
}

// The edge (source, target) number i of a graph on `vertices` vertices (the state argument).
inline std::pair<std::uint64_t, std::uint64_t> graph_edge(const std::uint64_t& i,
                                                          const std::uint64_t& vertices) {
  return {power_law_vertex(stream(graph_seed_source, i), vertices),
          power_law_vertex(stream(graph_seed_target, i), vertices)};
}

}  // namespace bench::dataflow
