#pragma once
// K-Means by hand, in one thread: each iteration assigns every point to its nearest centre and
// moves each centre to the mean of its points, from the first k points as starting centres.

#include "../common/points.hpp"

#include <array>
#include <cmath>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace bench::dataflow {

inline centers starting_centers() {
  centers c{};
  for (std::uint64_t k = 0; k < c.size(); ++k) c[k] = k_means_point(k);
  return c;
}

// Compares final centres. The framework adds each cluster's points in another order, which moves
// a centre by about 1e-13; a point that then changes cluster moves it by about 1e-4 at full
// scale, so the tolerance is 1e-2: a wrong result is off by whole units.
inline std::optional<std::string> compare_centers(const centers& expected, const centers& got) {
  for (std::size_t k = 0; k < expected.size(); ++k)
    for (std::size_t d = 0; d < 3; ++d)
      if (!(std::abs(expected[k][d] - got[k][d]) <= 1e-2))
        return "centre " + std::to_string(k) + " coordinate " + std::to_string(d) + " is " +
               std::to_string(got[k][d]) + ", expected " + std::to_string(expected[k][d]);
  return std::nullopt;
}

namespace baseline {

inline centers k_means(std::uint64_t n, int iterations) {
  std::vector<point> points(n);
  for (std::uint64_t i = 0; i < n; ++i) points[i] = k_means_point(i);
  centers c = starting_centers();
  for (int iteration = 0; iteration < iterations; ++iteration) {
    std::array<point_sum, k_means_clusters> sums{};
    for (const point& p : points) {
      auto& s = sums[nearest_center(p, c)];
      s = add_point_sums(s, {p[0], p[1], p[2], 1.0});
    }
    c = next_centers(c, sums);
  }
  return c;
}

}  // namespace baseline
}  // namespace bench::dataflow
