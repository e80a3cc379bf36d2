// dataflow_bench: the dataflow library's workloads against single-threaded hand-written baselines
// timed in the same run, one row per figure:
//   workload  workers  framework_s  baseline_s  ratio  target  verdict
//
//   dataflow_bench [--scale F] [--workers N,M] [workload ...]
//
// --scale 1.0 (the default) runs the full sizes (512 MiB WordCount, 50M Sort, 10M x 10M
// Join, 1M-vertex PageRank, 4M-point K-Means); --workers defaults to 2,1. Every workload checks
// the framework's result against the baseline's and prints MISMATCH when they differ; the exit
// status is then 1.

#include "../common/temp_dir.hpp"
#include "../common/zipf_text.hpp"
#include "workloads.hpp"

#include <constellation/constellation.hpp>

#include <cstdio>

using namespace bench::dataflow;

int main(int argc, char** argv) {
  constellation::init();
  const bench_options options = parse_options(
      argc, argv,
      {"word_count", "sort", "join", "page_rank", "k_means", "narrow_chain", "empty_job"});
  const workload_sizes sizes(options.scale);
  figures out;
  std::printf("dataflow workloads at scale %g against one thread, same run\n", options.scale);
  out.header();
  const workload_args args{out, sizes, options.workers};

  if (options.wants("empty_job")) run_empty_job(args);
  if (options.wants("word_count")) {
    temp_dir dir;
    const std::string text = dir.path() + "/words.txt";
    const auto bytes = write_zipf_text(text, sizes.text_bytes);
    run_word_count(args, text, bytes);
  }
  if (options.wants("sort")) run_sort(args);
  if (options.wants("join")) run_join(args);
  if (options.wants("page_rank")) run_page_rank(args);
  if (options.wants("k_means")) run_k_means(args);
  if (options.wants("narrow_chain")) run_narrow_chain(args);
  return out.exit_status();
}
