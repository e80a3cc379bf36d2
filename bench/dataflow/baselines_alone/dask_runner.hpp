#pragma once
// Runs a workload of dask/bag_workloads.py (Dask bag, multiprocessing scheduler, 2 workers) at the
// same scale and over the same generated inputs, and prints its time next to the baseline's. Uses
// Debian's interpreter, where python3-dask installs; says "dask: not installed" when it is absent.

#include "../baselines/join.hpp"
#include "../baselines/k_means.hpp"
#include "../baselines/page_rank.hpp"
#include "../baselines/word_count.hpp"
#include "../common/figures.hpp"

#include <cstdio>
#include <cstdlib>
#include <sstream>
#include <string>

namespace bench::dataflow {

class dask_runner {
 public:
  static constexpr const char* python = "/usr/bin/python3";
  static constexpr std::size_t workers = 2;

  explicit dask_runner(double scale) : scale_(scale) {
    const std::string probe = std::string(python) + " -c 'import dask.bag' 2>/dev/null";
    installed_ = std::system(probe.c_str()) == 0;
    if (!installed_) std::printf("dask: not installed (apt-get install python3-dask)\n");
  }

  void word_count(figures& out, double baseline_s, const std::string& text,
                  const word_count_summary& expected) {
    std::istringstream result;
    if (!run("word_count", baseline_s, out, " --input '" + text + "'", result)) return;
    word_count_summary got;
    result >> got.distinct >> got.total >> got.checksum;
    out.check("dask:word_count", got == expected, "other counts than the baseline's");
  }

  void join(figures& out, double baseline_s, const join_summary& expected) {
    std::istringstream result;
    if (!run("join", baseline_s, out, "", result)) return;
    std::uint64_t rows = 0;
    result >> rows;
    out.check("dask:join", rows == expected.rows,
              std::to_string(rows) + " rows, expected " + std::to_string(expected.rows));
  }

  // Dask's ranks are summed: the same vertices, the same total within 1e-6.
  void page_rank(figures& out, double baseline_s, const page_ranks& expected) {
    std::istringstream result;
    if (!run("page_rank", baseline_s, out, "", result)) return;
    std::uint64_t ranked = 0, want_ranked = 0;
    double total = 0, want_total = 0;
    result >> ranked >> total;
    for (std::size_t v = 0; v < expected.rank.size(); ++v)
      if (expected.ranked[v]) ++want_ranked, want_total += expected.rank[v];
    out.check("dask:page_rank",
              ranked == want_ranked && std::abs(total - want_total) <= 1e-6 * want_total,
              std::to_string(ranked) + " ranks summing to " + std::to_string(total) +
                  ", expected " + std::to_string(want_ranked) + " summing to " +
                  std::to_string(want_total));
  }

  void k_means(figures& out, double baseline_s, const centers& expected) {
    std::istringstream result;
    if (!run("k_means", baseline_s, out, "", result)) return;
    centers got{};
    for (auto& c : got)
      for (auto& x : c) result >> x;
    const auto difference = compare_centers(expected, got);
    out.check("dask:k_means", !difference, difference.value_or(""));
  }

 private:
  // Runs one workload; its last output line is "<seconds> <result...>".
  bool run(const std::string& workload, double baseline_s, figures& out, const std::string& extra,
           std::istringstream& result) {
    if (!installed_) return false;
    const std::string command = std::string(python) + " '" + DATAFLOW_DASK_SCRIPT + "' " +
                                workload + " --scale " + std::to_string(scale_) + " --workers " +
                                std::to_string(workers) + extra;
    std::FILE* pipe = ::popen(command.c_str(), "r");
    std::string last, line;
    for (int c; pipe && (c = std::fgetc(pipe)) != EOF;) {
      if (c != '\n') {
        line += static_cast<char>(c);
      } else {
        last = line;
        line.clear();
      }
    }
    if (!pipe || ::pclose(pipe) != 0) {
      out.check("dask:" + workload, false, "the Dask script failed: " + command);
      return false;
    }
    result.str(last);
    double seconds = 0;
    if (!(result >> seconds)) return out.check("dask:" + workload, false, "no result: " + last);
    out.row("dask:" + workload, workers, seconds, baseline_s, 0);
    return true;
  }

  double scale_;
  bool installed_ = false;
};

}  // namespace bench::dataflow
