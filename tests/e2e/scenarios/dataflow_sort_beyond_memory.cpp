// A sort of four times more data than the workers' memory budget, under enforced memory limits:
// received blocks wait on disk and each worker sorts in runs that it merges, so no worker is killed
// (the expectation says every worker ends with status 0) and save_text writes the data in order.
//
// Under AddressSanitizer the limits measure the sanitizer more than the program: the budget is
// larger and the data smaller there, so the run still spills but is no longer four times over.
#include "dataflow/checks.hpp"
#include "scenario.hpp"

#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

namespace df = constellation::dataflow;
namespace fs = std::filesystem;

namespace {

#if defined(__SANITIZE_ADDRESS__)
constexpr std::uint64_t budget = 256 * constellation::MiB;
constexpr std::uint64_t data_bytes = 192 * constellation::MiB;
#else
constexpr std::uint64_t budget = 96 * constellation::MiB;
constexpr std::uint64_t data_bytes = 4 * 2 * budget;  // four times what the two workers may hold
#endif
constexpr std::size_t record_bytes = 1000;

// A record: 16 hexadecimal digits of a hash of x (the sort key), then filler.
std::string record(const std::uint64_t& x) {
  std::uint64_t h = x * 0x9e3779b97f4a7c15ULL;
  h ^= h >> 31;
  std::string r(record_bytes, '.');
  static constexpr char digits[] = "0123456789abcdef";
  for (int i = 0; i < 16; ++i) r[i] = digits[(h >> (60 - 4 * i)) & 15];
  return r;
}

}  // namespace

CONSTELLATION_SCENARIO(dataflow_sort_beyond_memory) {
  e2e::dataflow::tally t;
  auto options = e2e::dataflow::small_workers();
  options.worker = {.mem = budget, .cpu = 0.5};
  df::context ctx(options);
  const std::uint64_t n = data_bytes / record_bytes;
  const fs::path out =
      fs::temp_directory_path() / ("dataflow_sorted." + std::to_string(::getpid()));
  fs::remove_all(out);
  ctx.range(0, n).map(record).sort().save_text(out.string());

  // Read the parts back in order: every line in order, all of them there.
  std::uint64_t lines = 0;
  bool ordered = true;
  std::string previous, line;
  for (std::size_t p = 0; p < ctx.workers() * 2; ++p) {
    char name[32];
    std::snprintf(name, sizeof name, "part-%05zu", p);
    std::ifstream in(out / name);
    while (std::getline(in, line)) {
      if (line < previous) ordered = false;
      previous = std::move(line);
      ++lines;
    }
  }
  t.check("every record was written", lines == n);
  t.check("the records are in order", ordered);
  fs::remove_all(out);
  return t.verdict();
}
