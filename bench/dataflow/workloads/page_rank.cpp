// PageRank as in Spark's example: the links (edges grouped by source) cached, each iteration
// joins ranks with links, flat_maps each source's contributions and reduce_by_key sums them.

#include "../baselines/page_rank.hpp"
#include "workloads.hpp"

#include <utility>
#include <vector>

namespace bench::dataflow {

namespace {

using vertex_rank = std::pair<std::uint64_t, double>;

std::vector<vertex_rank> page_rank_in_framework(df::context& ctx, const workload_sizes& sizes) {
  const auto links =
      ctx.range(0, sizes.edges).map(graph_edge, sizes.vertices).group_by_key().cache();
  auto ranks = links.map_values([](const auto&) { return 1.0; }).cache();
  for (int iteration = 0; iteration < sizes.page_rank_iterations; ++iteration) {
    ranks = links.join(ranks)
                .flat_map<vertex_rank>([](const auto& row, auto& emit) {
                  const auto& [targets, rank] = row.second;
                  const double share = rank / static_cast<double>(targets.size());
                  for (const auto target : targets) emit(vertex_rank(target, share));
                })
                .reduce_by_key([](const double& x, const double& y) { return x + y; })
                .map_values([](const double& sum) {
                  return (1 - page_rank_damping) + page_rank_damping * sum;
                })
                .cache();
  }
  return ranks.collect();
}

}  // namespace

void run_page_rank(const workload_args& a) {
  const auto& s = a.sizes;
  page_ranks expected;
  const double baseline_s = time_it(
      [&] { return baseline::page_rank(s.vertices, s.edges, s.page_rank_iterations); }, expected);
  run_on_each_context(
      a, "page_rank", baseline_s, two_worker_target,
      [&](df::context& ctx) { return page_rank_in_framework(ctx, s); },
      [&](const std::vector<vertex_rank>& got) { return compare_ranks(expected, got); });
}

}  // namespace bench::dataflow
