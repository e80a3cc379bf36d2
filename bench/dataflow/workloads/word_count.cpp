// WordCount: text_file over the generated Zipf text, flat_map into words, map to (word, 1),
// reduce_by_key. Also the job's peak memory: the sum of VmHWM over all its processes, read while
// the context still holds its workers, against 1.5x the input + 64 MiB.

#include "../baselines/word_count.hpp"
#include "../common/process_memory.hpp"
#include "workloads.hpp"

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

namespace bench::dataflow {

namespace {

using word_count_pair = std::pair<std::string, std::uint64_t>;

std::vector<word_count_pair> count_words(df::context& ctx, const std::string& path) {
  return ctx.text_file(path)
      .flat_map<std::string>([](const std::string& line, auto& emit) {
        const std::string_view text(line);
        for (std::size_t start = 0; start < text.size();) {
          const auto end = std::min(text.find(' ', start), text.size());
          if (end > start) emit(std::string(text.substr(start, end - start)));
          start = end + 1;
        }
      })
      .map([](const std::string& word) { return word_count_pair(word, 1); })
      .reduce_by_key([](const std::uint64_t& a, const std::uint64_t& b) { return a + b; })
      .collect();
}

}  // namespace

void run_word_count(const workload_args& a, const std::string& text_path,
                    std::uint64_t text_bytes) {
  word_count_summary expected;
  const double baseline_s = time_it([&] { return baseline::word_count(text_path); }, expected);
  const pid_t root = job_root();
  const double budget_mib = 1.5 * static_cast<double>(text_bytes) / (1 << 20) + 64;
  for (const std::size_t workers : a.workers) {
    df::context ctx(context_options(workers));
    reset_own_peak_memory();
    std::vector<word_count_pair> counts;
    const double framework_s = time_it([&] { return count_words(ctx, text_path); }, counts);
    const job_memory memory = job_peak_memory(root);
    if (!a.out.check("word_count", summarize_word_counts(counts) == expected,
                     "other counts than the baseline's"))
      continue;
    a.out.row("word_count", workers, framework_s, baseline_s,
              target_for(workers, two_worker_target_fast));
    const double peak_mib = static_cast<double>(memory.peak_bytes) / (1 << 20);
    a.out.absolute_row(
        "word_count_peak_mem", workers, std::to_string(static_cast<long>(peak_mib)) + "MiB",
        "<=" + std::to_string(static_cast<long>(budget_mib)) + "MiB", peak_mib <= budget_mib);
  }
}

}  // namespace bench::dataflow
