// K-Means: the points cached; each iteration maps every point to (nearest centre, its sum) with
// the current centres as state, reduce_by_key adds the sums, and the driver moves the centres.

#include "../baselines/k_means.hpp"
#include "workloads.hpp"

#include <array>
#include <utility>
#include <vector>

namespace bench::dataflow {

namespace {

using cluster_sum = std::pair<std::uint64_t, point_sum>;

centers k_means_in_framework(df::context& ctx, const workload_sizes& sizes) {
  const auto points = ctx.range(0, sizes.points).map(k_means_point).cache();
  centers current = starting_centers();
  for (int iteration = 0; iteration < sizes.k_means_iterations; ++iteration) {
    const auto per_cluster =
        points
            .map(
                [](const point& p, const centers& c) {
                  return cluster_sum(nearest_center(p, c), point_sum{p[0], p[1], p[2], 1.0});
                },
                current)
            .reduce_by_key(add_point_sums)
            .collect();
    std::array<point_sum, k_means_clusters> sums{};
    for (const auto& [cluster, sum] : per_cluster) sums[cluster] = sum;
    current = next_centers(current, sums);
  }
  return current;
}

}  // namespace

void run_k_means(const workload_args& a) {
  const auto& s = a.sizes;
  centers expected;
  const double baseline_s =
      time_it([&] { return baseline::k_means(s.points, s.k_means_iterations); }, expected);
  run_on_each_context(
      a, "k_means", baseline_s, two_worker_target_fast,
      [&](df::context& ctx) { return k_means_in_framework(ctx, s); },
      [&](const centers& got) { return compare_centers(expected, got); });
}

}  // namespace bench::dataflow
