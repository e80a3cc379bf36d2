// PageRank with the dataflow layer, as in Spark's classic example: the links of a small generated
// power-law graph are grouped by page and cached in the workers; each of ten iterations joins them
// with the current ranks, sends each page's rank in equal shares along its links, and sums the
// shares per page with damping. The ranks are checked against the same iterations run by one
// thread.
#include <constellation/constellation.hpp>
#include <constellation/dataflow.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <iostream>
#include <map>
#include <random>
#include <utility>
#include <vector>

namespace df = constellation::dataflow;

using page = std::uint64_t;
using rank_of = std::pair<page, double>;

constexpr int iterations = 10;
constexpr double damping = 0.85;

double add(double a, double b) {
  return a + b;
}
double damp(const double& sum) {
  return (1 - damping) + damping * sum;
}

using linked = std::pair<page, std::pair<std::vector<page>, double>>;  // a page, its links and rank

int main() {
  constellation::init();

  // 3000 pages with 1..8 links each; a link's target is drawn so that low page numbers are far
  // more popular than high ones (in-degrees follow a power law).
  const page pages = 3000;
  std::mt19937_64 random(7);
  std::uniform_real_distribution<double> uniform(0, 1);
  std::vector<std::pair<page, page>> edges;
  for (page from = 0; from < pages; ++from)
    for (auto k = 1 + random() % 8; k > 0; --k)
      edges.emplace_back(from, page(pages * std::pow(uniform(random), 3)));

  df::options o;
  o.worker = {.mem = 512 * constellation::MiB, .cpu = 1};
  df::context ctx(o);
  auto links = ctx.parallelize(edges).group_by_key().cache();
  df::dataset<rank_of> ranks = links.map_values([](const std::vector<page>&) { return 1.0; });
  for (int i = 0; i < iterations; ++i)
    ranks =
        links.join(ranks)
            .flat_map<rank_of>([](const linked& row, auto& emit) {  // rank shared along the links
              const auto& [targets, rank] = row.second;
              for (page target : targets) emit(rank_of(target, rank / double(targets.size())));
            })
            .reduce_by_key(add)
            .map_values(damp);
  auto found = ranks.collect();
  std::sort(found.begin(), found.end());

  // The same iterations with one thread. A page nobody links to gets no contribution and drops
  // out of the ranks, as it does above.
  std::map<page, std::vector<page>> adjacency;
  for (auto [from, to] : edges) adjacency[from].push_back(to);
  std::map<page, double> expected;
  for (const auto& [from, targets] : adjacency) expected[from] = 1.0;
  for (int i = 0; i < iterations; ++i) {
    std::map<page, double> sums;
    for (const auto& [from, targets] : adjacency)
      if (auto r = expected.find(from); r != expected.end())
        for (page target : targets) sums[target] += r->second / double(targets.size());
    expected.clear();
    for (const auto& [target, sum] : sums) expected[target] = damp(sum);
  }

  bool right = found.size() == expected.size();
  double worst = 0;
  for (std::size_t i = 0; right && i < found.size(); ++i) {
    const auto want = expected.find(found[i].first);
    right = want != expected.end();
    if (right) worst = std::max(worst, std::abs(want->second - found[i].second));
  }
  right = right && worst <= 1e-9;
  const auto top = std::max_element(found.begin(), found.end(),
                                    [](auto a, auto b) { return a.second < b.second; });
  if (top != found.end())
    std::cout << found.size() << " ranked pages; the top page " << top->first << " has rank "
              << top->second << "; largest difference from one thread's loop " << worst << "\n";
  if (!right) {
    std::cerr << "pagerank: the ranks differ from a single-threaded loop's\n";
    return 1;
  }
}
