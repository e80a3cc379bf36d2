#pragma once
// The framework side of the dataflow benchmarks: one function per workload. Each times its
// single-threaded baseline once, then runs the workload on a fresh context for each worker count,
// checks that the framework's result equals the baseline's, and prints one row per figure.

#include "../common/figures.hpp"
#include "../common/sizes.hpp"

#include <constellation/dataflow.hpp>

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

namespace bench::dataflow {

namespace df = constellation::dataflow;

// The targets of the issue: two workers against one thread, and one worker's overhead.
inline constexpr double two_worker_target_fast = 0.70;  // WordCount, K-Means
inline constexpr double two_worker_target = 1.0;        // Sort, Join, PageRank
inline constexpr double one_worker_target = 1.25;

inline double target_for(std::size_t workers, double two_worker) {
  return workers == 2 ? two_worker : workers == 1 ? one_worker_target : 0;
}

// Workers get room for a whole full-scale input each (one worker sorts 400 MB alone); the
// progress line would interleave with the figures.
inline df::options context_options(std::size_t workers) {
  return df::options{.workers = workers,
                     .worker = {.mem = 4 * constellation::GiB, .cpu = 1},
                     .partitions = 0,
                     .progress = false};
}

struct workload_args {
  figures& out;
  const workload_sizes& sizes;
  const std::vector<std::size_t>& workers;
};

// For each worker count: a fresh context, run(ctx) timed, its result checked by difference(result)
// (what differs from the baseline, or nullopt), and the row printed when it matches.
template <class Run, class Difference>
void run_on_each_context(const workload_args& a, const std::string& workload, double baseline_s,
                         double two_worker, Run run, Difference difference) {
  for (const std::size_t workers : a.workers) {
    df::context ctx(context_options(workers));
    decltype(run(ctx)) result{};
    const double framework_s = time_it([&] { return run(ctx); }, result);
    const std::optional<std::string> different = difference(result);
    if (a.out.check(workload, !different, different.value_or("")))
      a.out.row(workload, workers, framework_s, baseline_s, target_for(workers, two_worker));
  }
}

void run_word_count(const workload_args& a, const std::string& text_path, std::uint64_t text_bytes);
void run_sort(const workload_args& a);
void run_join(const workload_args& a);
void run_page_rank(const workload_args& a);
void run_k_means(const workload_args& a);
void run_narrow_chain(const workload_args& a);
void run_empty_job(const workload_args& a);

}  // namespace bench::dataflow
