#pragma once
// The sizes of every workload at a scale: 1.0 is the full size of the issue; CI and quick checks
// run a fraction. Counts shrink with the scale, never below a size that still exercises the code.

#include <cstdint>

namespace bench::dataflow {

struct workload_sizes {
  std::uint64_t text_bytes;            // WordCount: 512 MiB of Zipf text
  std::uint64_t sort_values;           // Sort: 50M u64
  std::uint64_t join_rows, join_keys;  // Join: 10M x 10M rows over 2M keys
  std::uint64_t vertices, edges;       // PageRank: 1M vertices, 10M edges
  int page_rank_iterations;            //   10 iterations
  std::uint64_t points;                // K-Means: 4M points
  int k_means_iterations;              //   10 iterations
  std::uint64_t chain_values;          // ten narrow steps over 200M values

  explicit workload_sizes(double scale) {
    auto at = [scale](double full, double minimum) {
      const double n = full * scale;
      return static_cast<std::uint64_t>(n < minimum ? minimum : n);
    };
    text_bytes = at(512.0 * 1024 * 1024, 4096);
    sort_values = at(50e6, 1000);
    join_rows = at(10e6, 1000);
    join_keys = at(2e6, 200);
    vertices = at(1e6, 100);
    edges = at(10e6, 1000);
    page_rank_iterations = 10;
    points = at(4e6, 1000);
    k_means_iterations = 10;
    chain_values = at(200e6, 1000);
  }
};

}  // namespace bench::dataflow
