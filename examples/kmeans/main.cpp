// k-means with the dataflow layer: points drawn around four known centers are cached in the
// workers; each of ten iterations assigns every point to its closest center (the centers travel to
// the workers as the map's state), sums the points and counts per center with a combiner before
// the shuffle, and moves each center to the mean of its points. The centers found are checked
// against the true ones.
#include <constellation/constellation.hpp>
#include <constellation/dataflow.hpp>

#include <array>
#include <cmath>
#include <cstdint>
#include <iostream>
#include <random>
#include <utility>
#include <vector>

namespace df = constellation::dataflow;

using point = std::array<double, 3>;
using partial = std::pair<point, std::uint64_t>;  // a sum of points and how many

double distance2(const point& a, const point& b) {
  double d = 0;
  for (int i = 0; i < 3; ++i) d += (a[i] - b[i]) * (a[i] - b[i]);
  return d;
}

std::pair<std::uint64_t, partial> closest_center(const point& p,
                                                 const std::vector<point>& centers) {
  std::uint64_t best = 0;
  for (std::uint64_t c = 1; c < centers.size(); ++c)
    if (distance2(p, centers[c]) < distance2(p, centers[best])) best = c;
  return {best, {p, 1}};
}

partial add(partial a, const partial& b) {
  for (int i = 0; i < 3; ++i) a.first[i] += b.first[i];
  a.second += b.second;
  return a;
}

int main() {
  constellation::init();

  // 200 000 points, normally spread (sigma 1) around four centers; point i is drawn around center
  // i % 4, so the first four points lie one near each center and serve as the starting centers.
  const std::vector<point> truth = {{0, 0, 0}, {10, 0, 0}, {0, 10, 5}, {-8, -6, 9}};
  std::mt19937_64 random(11);
  std::normal_distribution<double> noise(0, 1);
  std::vector<point> generated(200'000);
  for (std::size_t i = 0; i < generated.size(); ++i)
    for (int d = 0; d < 3; ++d) generated[i][d] = truth[i % truth.size()][d] + noise(random);

  df::options o;
  o.worker = {.mem = 512 * constellation::MiB, .cpu = 1};
  df::context ctx(o);
  auto points = ctx.parallelize(generated).cache();
  auto centers = points.take(truth.size());
  for (int iteration = 0; iteration < 10; ++iteration) {
    const auto sums = points.map(closest_center, centers).reduce_by_key(add).collect();
    for (const auto& [c, sum] : sums)
      for (int d = 0; d < 3; ++d) centers[c][d] = sum.first[d] / double(sum.second);
  }

  // Each true center should have a found center within 0.05 (the mean of 50 000 points with
  // sigma 1 strays by about 0.005).
  bool right = centers.size() == truth.size();
  for (const auto& t : truth) {
    double nearest = INFINITY;
    for (const auto& c : centers) nearest = std::min(nearest, std::sqrt(distance2(t, c)));
    right = right && nearest < 0.05;
  }
  for (const auto& c : centers)
    std::cout << "center (" << c[0] << ", " << c[1] << ", " << c[2] << ")\n";
  if (!right) {
    std::cerr << "kmeans: the centers found are not the true ones\n";
    return 1;
  }
}
