// An empty job: start a context of two workers, parallelize two items, collect them. The time
// from nothing to the result is the figure (target < 150 ms); the same job again on the warm
// context is printed for information.

#include "workloads.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>

namespace bench::dataflow {

namespace {

inline constexpr double empty_job_limit_s = 0.150;
inline constexpr std::size_t empty_job_workers = 2;

std::string seconds_text(double seconds) {
  char text[32];
  std::snprintf(text, sizeof text, "%.3fs", seconds);
  return text;
}

}  // namespace

void run_empty_job(const workload_args& a) {
  const auto start = clock::now();
  df::context ctx(context_options(empty_job_workers));
  auto items = ctx.parallelize(std::vector<int>{1, 2}).collect();
  const double cold_s = std::chrono::duration<double>(clock::now() - start).count();
  const auto warm_start = clock::now();
  auto again = ctx.parallelize(std::vector<int>{1, 2}).collect();
  const double warm_s = std::chrono::duration<double>(clock::now() - warm_start).count();
  std::sort(items.begin(), items.end());
  std::sort(again.begin(), again.end());
  const std::vector<int> expected{1, 2};
  if (!a.out.check("empty_job", items == expected && again == expected, "not the two items"))
    return;
  a.out.absolute_row("empty_job", empty_job_workers, seconds_text(cold_s),
                     "<" + seconds_text(empty_job_limit_s), cold_s < empty_job_limit_s);
  a.out.absolute_row("empty_job_warm", empty_job_workers, seconds_text(warm_s), "-", std::nullopt);
}

}  // namespace bench::dataflow
