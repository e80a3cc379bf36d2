// dataflow_baselines: the single-threaded baselines of the dataflow benchmarks on their own, with
// no framework: first a self-check of each against a plainer implementation on small inputs, then
// each timed at the chosen scale, and with --dask the same workloads in Dask bag (multiprocessing
// scheduler, 2 workers) next to them, when Debian's python3-dask is installed.
//
//   dataflow_baselines [--scale F] [--dask] [workload ...]
//
// Exits 1 when a baseline disagrees with its plainer twin or Dask's result differs (MISMATCH).

#include "../baselines/join.hpp"
#include "../baselines/k_means.hpp"
#include "../baselines/narrow_chain.hpp"
#include "../baselines/page_rank.hpp"
#include "../baselines/sort.hpp"
#include "../baselines/word_count.hpp"
#include "../common/figures.hpp"
#include "../common/sizes.hpp"
#include "../common/temp_dir.hpp"
#include "../common/zipf_text.hpp"
#include "dask_runner.hpp"

#include <cstdio>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <unordered_map>
#include <vector>

using namespace bench::dataflow;

namespace {

const std::vector<std::string> workloads{"word_count", "sort",    "join",
                                         "page_rank",  "k_means", "narrow_chain"};

// Plainer twins of the baselines, for small inputs only.

word_count_summary word_count_by_stream(const std::string& path) {
  std::ifstream in(path);
  std::map<std::string, std::uint64_t> counts;
  for (std::string word; in >> word;) ++counts[word];
  return summarize_word_counts(counts);
}

join_summary join_by_multimap(std::uint64_t rows, std::uint64_t keys) {
  std::unordered_multimap<std::uint64_t, std::uint64_t> right;
  for (std::uint64_t i = 0; i < rows; ++i) right.insert(join_right_row(i, keys));
  join_summary s;
  for (std::uint64_t i = 0; i < rows; ++i) {
    const auto [key, value] = join_left_row(i, keys);
    auto [first, last] = right.equal_range(key);
    for (; first != last; ++first, ++s.rows) s.checksum += join_row_hash(key, value, first->second);
  }
  return s;
}

std::map<std::uint64_t, double> page_rank_by_maps(std::uint64_t vertices, std::uint64_t edges,
                                                  int iterations) {
  std::map<std::uint64_t, std::vector<std::uint64_t>> links;
  for (std::uint64_t i = 0; i < edges; ++i) {
    auto [source, target] = graph_edge(i, vertices);
    links[source].push_back(target);
  }
  std::map<std::uint64_t, double> ranks;
  for (const auto& [source, targets] : links) ranks[source] = 1.0;
  for (int iteration = 0; iteration < iterations; ++iteration) {
    std::map<std::uint64_t, double> sums;
    for (const auto& [source, targets] : links)
      if (auto r = ranks.find(source); r != ranks.end())
        for (auto target : targets) sums[target] += r->second / static_cast<double>(targets.size());
    ranks.clear();
    for (const auto& [vertex, sum] : sums) ranks[vertex] = 0.15 + 0.85 * sum;
  }
  return ranks;
}

std::uint64_t narrow_chain_step_by_step(std::uint64_t n) {
  using namespace chain;
  std::vector<u64> x(n);
  for (u64 i = 0; i < n; ++i) x[i] = step1(i);
  auto keep = [&](bool (*f)(const u64&)) { std::erase_if(x, [&](u64 v) { return !f(v); }); };
  auto map = [&](u64 (*f)(const u64&)) {
    for (auto& v : x) v = f(v);
  };
  keep(keep2), map(step3), map(step4), keep(keep5), map(step6), map(step7), keep(keep8), map(step9),
      map(step10);
  u64 sum = 0;
  for (auto v : x) sum += v;
  return sum;
}

void self_check(figures& out, const temp_dir& dir) {
  const auto words = make_vocabulary();
  out.check("vocabulary",
            words.size() == vocabulary_size &&
                std::set<std::string>(words.begin(), words.end()).size() == vocabulary_size);
  const std::string small_text = dir.path() + "/small.txt";
  write_zipf_text(small_text, 3 << 20);  // more than two 1 MiB blocks: words cut by block ends
  const auto counted = baseline::word_count(small_text);
  out.check("word_count baseline", counted == word_count_by_stream(small_text));
  // Zipf's law: the most frequent word is 1 / H(100000) = 8.3% of all words.
  std::ifstream in(small_text);
  std::uint64_t first = 0, total = 0;
  for (std::string word; in >> word; ++total) first += word == words[0];
  const double share = static_cast<double>(first) / static_cast<double>(total);
  out.check("zipf text", share > 0.07 && share < 0.097,
            "the top word is " + std::to_string(share) + " of the text, expected 0.083");

  out.check("join baseline", baseline::join(5000, 5000, 1000) == join_by_multimap(5000, 1000));

  const auto ranks = baseline::page_rank(500, 5000, 10);
  const auto by_maps = page_rank_by_maps(500, 5000, 10);
  const std::vector<std::pair<std::uint64_t, double>> pairs(by_maps.begin(), by_maps.end());
  const auto rank_difference = compare_ranks(ranks, pairs);
  out.check("page_rank baseline", !rank_difference, rank_difference.value_or(""));

  out.check("narrow_chain baseline",
            baseline::narrow_chain(100'000) == narrow_chain_step_by_step(100'000));
  std::vector<std::uint64_t> reversed{3, 2, 1};
  out.check("sort checksum", summarize_sorted(reversed) != summarize_sorted({1, 2, 3}));
  std::printf("self-check: %s\n", out.exit_status() == 0 ? "all baselines agree" : "FAILED");
}

template <class F>
void time_baseline(const char* name, F&& f) {
  const auto start = clock::now();
  const std::string result = f();
  const double seconds = std::chrono::duration<double>(clock::now() - start).count();
  std::printf("baseline %-14s %8.3f s  %s\n", name, seconds, result.c_str());
  std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
  const bench_options options = parse_options(argc, argv, workloads);
  const workload_sizes sizes(options.scale);
  figures out;
  temp_dir dir;
  self_check(out, dir);

  std::printf("single-thread baselines at scale %g:\n", options.scale);
  std::optional<dask_runner> dask;
  if (options.dask) dask.emplace(options.scale);

  if (options.wants("word_count")) {
    const std::string text = dir.path() + "/words.txt";
    const auto start = clock::now();
    const auto bytes = write_zipf_text(text, sizes.text_bytes);
    std::printf("generated %.1f MiB of text in %.1f s\n", static_cast<double>(bytes) / (1 << 20),
                std::chrono::duration<double>(clock::now() - start).count());
    word_count_summary s;
    const double base_s = time_it([&] { return baseline::word_count(text); }, s);
    std::printf("baseline %-14s %8.3f s  %llu words, %llu distinct\n", "word_count", base_s,
                static_cast<unsigned long long>(s.total),
                static_cast<unsigned long long>(s.distinct));
    if (dask) dask->word_count(out, base_s, text, s);
  }
  if (options.wants("sort"))
    time_baseline("sort", [&] {
      const auto s = baseline::sort(sizes.sort_values);
      return std::to_string(s.count) + " values";
    });
  if (options.wants("join")) {
    join_summary s;
    const double base_s = time_it(
        [&] { return baseline::join(sizes.join_rows, sizes.join_rows, sizes.join_keys); }, s);
    std::printf("baseline %-14s %8.3f s  %llu joined rows\n", "join", base_s,
                static_cast<unsigned long long>(s.rows));
    if (dask) dask->join(out, base_s, s);
  }
  if (options.wants("page_rank")) {
    page_ranks r;
    const double base_s = time_it(
        [&] {
          return baseline::page_rank(sizes.vertices, sizes.edges, sizes.page_rank_iterations);
        },
        r);
    std::printf("baseline %-14s %8.3f s\n", "page_rank", base_s);
    if (dask) dask->page_rank(out, base_s, r);
  }
  if (options.wants("k_means")) {
    centers c;
    const double base_s =
        time_it([&] { return baseline::k_means(sizes.points, sizes.k_means_iterations); }, c);
    std::printf("baseline %-14s %8.3f s\n", "k_means", base_s);
    if (dask) dask->k_means(out, base_s, c);
  }
  if (options.wants("narrow_chain"))
    time_baseline("narrow_chain", [&] {
      return "sum " + std::to_string(baseline::narrow_chain(sizes.chain_values));
    });
  return out.exit_status();
}
