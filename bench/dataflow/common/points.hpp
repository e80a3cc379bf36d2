#pragma once
// K-Means's input: 3-d points scattered around k_means_clusters true centres in a 200-unit cube,
// each within a few units of its centre. Point i is a pure function of i; the first
// k_means_clusters points are the starting centres of both the framework and the baseline.

#include "mix.hpp"

#include <array>
#include <cstddef>
#include <cstdint>
#include <limits>

namespace bench::dataflow {

inline constexpr std::size_t k_means_clusters = 10;
inline constexpr std::uint64_t points_seed = 0x3d;

using point = std::array<double, 3>;
using centers = std::array<point, k_means_clusters>;
// A cluster's running sum of coordinates (0..2) and its point count (3): what reduce_by_key adds.
using point_sum = std::array<double, 4>;

inline point k_means_point(const std::uint64_t& i) {
  const std::uint64_t cluster = stream(points_seed, i) % k_means_clusters;
  point p{};
  for (std::size_t d = 0; d < 3; ++d) {
    const double center = 200.0 * unit(stream(points_seed + 1, cluster * 3 + d)) - 100.0;
    // The sum of three uniforms: a bell in [-1.5, 1.5), scaled to a spread of a few units.
    double bell = 0;
    for (std::uint64_t k = 0; k < 3; ++k)
      bell += unit(stream(points_seed + 2, i * 9 + d * 3 + k)) - 0.5;
    p[d] = center + 8.0 * bell;
  }
  return p;
}

// The nearest centre's index; ties go to the lower index.
inline std::uint64_t nearest_center(const point& p, const centers& c) {
  std::uint64_t best = 0;
  double best_distance = std::numeric_limits<double>::infinity();
  for (std::size_t k = 0; k < c.size(); ++k) {
    double distance = 0;
    for (std::size_t d = 0; d < 3; ++d) distance += (p[d] - c[k][d]) * (p[d] - c[k][d]);
    if (distance < best_distance) best = k, best_distance = distance;
  }
  return best;
}

inline point_sum add_point_sums(const point_sum& a, const point_sum& b) {
  return {a[0] + b[0], a[1] + b[1], a[2] + b[2], a[3] + b[3]};
}

// The next centres from each cluster's sum; a cluster that lost all its points keeps its centre.
inline centers next_centers(const centers& current,
                            const std::array<point_sum, k_means_clusters>& sums) {
  centers next = current;
  for (std::size_t k = 0; k < next.size(); ++k)
    if (sums[k][3] > 0)
      for (std::size_t d = 0; d < 3; ++d) next[k][d] = sums[k][d] / sums[k][3];
  return next;
}

}  // namespace bench::dataflow
