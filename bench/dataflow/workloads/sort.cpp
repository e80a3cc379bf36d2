// Sort: range(...).map(hash).sort(), collected and checksummed by position, against std::sort.

#include "../baselines/sort.hpp"
#include "workloads.hpp"

namespace bench::dataflow {

void run_sort(const workload_args& a) {
  const std::uint64_t n = a.sizes.sort_values;
  sorted_summary expected;
  const double baseline_s = time_it([&] { return baseline::sort(n); }, expected);
  run_on_each_context(
      a, "sort", baseline_s, two_worker_target,
      [n](df::context& ctx) {
        return summarize_sorted(ctx.range(0, n).map(sort_value).sort().collect());
      },
      [&](const sorted_summary& got) {
        return got == expected ? std::nullopt
                               : std::optional<std::string>("not the baseline's sorted order");
      });
}

}  // namespace bench::dataflow
