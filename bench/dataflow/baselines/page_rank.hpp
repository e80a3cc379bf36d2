#pragma once
// PageRank by hand, in one thread, with the semantics of Spark's example that the framework runs:
//   links = edges grouped by source; ranks = 1.0 for every source;
//   each iteration: every ranked source sends rank / out-degree along each of its edges, and the
//   vertices that received anything get 0.15 + 0.85 * sum (the others drop out of ranks).
// Edges are kept in compressed rows by source; ranks in dense arrays.

#include "../common/graph.hpp"

#include <cmath>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace bench::dataflow {

inline constexpr double page_rank_damping = 0.85;

// rank[v] is meaningful where ranked[v].
struct page_ranks {
  std::vector<double> rank;
  std::vector<char> ranked;
};

// Compares the framework's (vertex, rank) pairs with the baseline's: the same vertices, each rank
// equal within a relative 1e-9 (the sums add in another order). Returns what differs, if anything.
template <class Pairs>
std::optional<std::string> compare_ranks(const page_ranks& expected, const Pairs& pairs) {
  std::size_t expected_count = 0;
  for (char r : expected.ranked) expected_count += r != 0;
  if (pairs.size() != expected_count)
    return std::to_string(pairs.size()) + " ranked vertices, expected " +
           std::to_string(expected_count);
  for (const auto& [vertex, rank] : pairs) {
    if (vertex >= expected.rank.size() || !expected.ranked[vertex])
      return "vertex " + std::to_string(vertex) + " should have no rank";
    const double want = expected.rank[vertex];
    if (std::abs(rank - want) > 1e-9 * std::max(1.0, std::abs(want)))
      return "vertex " + std::to_string(vertex) + " has rank " + std::to_string(rank) +
             ", expected " + std::to_string(want);
  }
  return std::nullopt;
}

namespace baseline {

inline page_ranks page_rank(std::uint64_t vertices, std::uint64_t edges, int iterations) {
  std::vector<std::uint64_t> offsets(vertices + 1, 0), targets(edges);
  {
    std::vector<std::pair<std::uint64_t, std::uint64_t>> list(edges);
    for (std::uint64_t i = 0; i < edges; ++i) {
      list[i] = graph_edge(i, vertices);
      ++offsets[list[i].first + 1];
    }
    for (std::uint64_t v = 0; v < vertices; ++v) offsets[v + 1] += offsets[v];
    std::vector<std::uint64_t> next(offsets.begin(), offsets.end() - 1);
    for (const auto& [source, target] : list) targets[next[source]++] = target;
  }
  page_ranks r{std::vector<double>(vertices, 0.0), std::vector<char>(vertices, 0)};
  for (std::uint64_t v = 0; v < vertices; ++v)
    if (offsets[v + 1] > offsets[v]) r.rank[v] = 1.0, r.ranked[v] = 1;
  std::vector<double> sum(vertices);
  std::vector<char> received(vertices);
  for (int iteration = 0; iteration < iterations; ++iteration) {
    std::fill(sum.begin(), sum.end(), 0.0);
    std::fill(received.begin(), received.end(), 0);
    for (std::uint64_t v = 0; v < vertices; ++v) {
      const auto degree = offsets[v + 1] - offsets[v];
      if (!r.ranked[v] || degree == 0) continue;
      const double share = r.rank[v] / static_cast<double>(degree);
      for (auto e = offsets[v]; e < offsets[v + 1]; ++e) {
        sum[targets[e]] += share;
        received[targets[e]] = 1;
      }
    }
    for (std::uint64_t v = 0; v < vertices; ++v)
      r.rank[v] = received[v] ? (1 - page_rank_damping) + page_rank_damping * sum[v] : 0.0;
    r.ranked.swap(received);
  }
  return r;
}

}  // namespace baseline
}  // namespace bench::dataflow
