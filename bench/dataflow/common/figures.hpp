#pragma once
// What every dataflow benchmark prints: one line per figure,
//   workload  workers  framework_s  baseline_s  ratio  target  verdict
// the framework's time next to a baseline timed in the same run, and a MISMATCH line (and exit
// status 1 at the end) when the two results differ. Also the options both programs take.

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace bench::dataflow {

using clock = std::chrono::steady_clock;

// Seconds taken by f(); its result is kept in `result`.
template <class F, class R>
double time_it(F&& f, R& result) {
  const auto start = clock::now();
  result = f();
  return std::chrono::duration<double>(clock::now() - start).count();
}

class figures {
 public:
  void header() const {
    std::printf("%-22s %7s %12s %12s %7s %8s  %s\n", "workload", "workers", "framework_s",
                "baseline_s", "ratio", "target", "verdict");
    std::fflush(stdout);
  }

  // A time against a baseline time; the target is the largest ratio that meets it (none: 0).
  void row(std::string_view workload, std::size_t workers, double framework_s, double baseline_s,
           double target) {
    const double ratio = framework_s / baseline_s;
    char target_text[32] = "-";
    if (target > 0) std::snprintf(target_text, sizeof target_text, "<=%.2fx", target);
    std::printf("%-22.*s %7zu %12.3f %12.3f %6.2fx %8s  %s\n", static_cast<int>(workload.size()),
                workload.data(), workers, framework_s, baseline_s, ratio, target_text,
                target <= 0       ? "info"
                : ratio <= target ? "met"
                                  : "NOT met");
    std::fflush(stdout);
  }

  // A figure with its own unit and an absolute limit (an empty job's time, a peak memory); with
  // no verdict (nullopt) it is for information.
  void absolute_row(std::string_view workload, std::size_t workers, std::string_view value,
                    std::string_view limit, std::optional<bool> met) {
    std::printf("%-22.*s %7zu %12.*s %12s %7s %8.*s  %s\n", static_cast<int>(workload.size()),
                workload.data(), workers, static_cast<int>(value.size()), value.data(), "-", "-",
                static_cast<int>(limit.size()), limit.data(),
                !met   ? "info"
                : *met ? "met"
                       : "NOT met");
    std::fflush(stdout);
  }

  // Reports whether the framework's result equals the baseline's; a mismatch makes exit_status 1.
  bool check(std::string_view workload, bool equal, const std::string& detail = {}) {
    if (!equal) {
      std::printf("MISMATCH %.*s: %s\n", static_cast<int>(workload.size()), workload.data(),
                  detail.c_str());
      std::fflush(stdout);
      mismatched_ = true;
    }
    return equal;
  }

  int exit_status() const { return mismatched_ ? 1 : 0; }

 private:
  bool mismatched_ = false;
};

// Options of both programs: [--scale F] [--workers N,M] [--dask] [workload ...].
struct bench_options {
  double scale = 1.0;  // 1.0 = the full sizes of the issue
  std::vector<std::size_t> workers{2, 1};
  bool dask = false;
  std::set<std::string> workloads;  // empty: all

  bool wants(const std::string& workload) const {
    return workloads.empty() || workloads.contains(workload);
  }
};

// Parses argv; prints usage and exits 2 on anything it does not know.
inline bench_options parse_options(int argc, char** argv, const std::vector<std::string>& known) {
  bench_options o;
  auto usage = [&](const std::string& problem) {
    std::fprintf(stderr, "%s: %s\nusage: %s [--scale F] [--workers N,M] [--dask] [workload ...]\n",
                 argv[0], problem.c_str(), argv[0]);
    std::fprintf(stderr, "workloads:");
    for (const auto& k : known) std::fprintf(stderr, " %s", k.c_str());
    std::fprintf(stderr, "\n");
    std::exit(2);
  };
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--scale" && i + 1 < argc) {
      char* end = nullptr;
      o.scale = std::strtod(argv[++i], &end);
      if (*end || !(o.scale > 0)) usage("--scale takes a positive number");
    } else if (arg == "--workers" && i + 1 < argc) {
      o.workers.clear();
      for (std::string list = argv[++i]; !list.empty();) {
        const auto comma = list.find(',');
        const long n = std::atol(list.substr(0, comma).c_str());
        if (n < 1) usage("--workers takes positive counts separated by commas");
        o.workers.push_back(static_cast<std::size_t>(n));
        list = comma == std::string::npos ? "" : list.substr(comma + 1);
      }
    } else if (arg == "--dask") {
      o.dask = true;
    } else if (std::find(known.begin(), known.end(), arg) != known.end()) {
      o.workloads.insert(arg);
    } else {
      usage("unknown argument '" + arg + "'");
    }
  }
  return o;
}

}  // namespace bench::dataflow
