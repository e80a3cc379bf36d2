// A worker killed (SIGKILL) in the middle of a shuffle: the driver starts another in its slot,
// recomputes what the lost one held (its partitions of the shuffle already done, and the shuffle
// under way), and the action returns the right result. The job exits 0: the driver took charge of
// its worker's death, which the bridge still shows.
#include "dataflow/checks.hpp"
#include "scenario.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <csignal>
#include <filesystem>
#include <map>

namespace df = constellation::dataflow;

namespace {

// Kills the calling worker the first time any worker reaches element 7777 of the second shuffle's
// input; the marker file makes sure it happens once, whoever recomputes the element later.
std::pair<std::uint64_t, std::uint64_t> regroup(const std::pair<std::uint64_t, std::uint64_t>& kv,
                                                const std::string& marker) {
  if (kv.first == 7777) {
    const int fd = ::open(marker.c_str(), O_WRONLY | O_CREAT | O_EXCL, 0600);
    if (fd >= 0) {
      ::close(fd);
      ::raise(SIGKILL);
    }
  }
  return {kv.first % 100, kv.second};
}

}  // namespace

CONSTELLATION_SCENARIO(dataflow_worker_killed) {
  e2e::dataflow::tally t;
  df::context ctx(e2e::dataflow::small_workers());
  const std::string marker =
      (std::filesystem::temp_directory_path() / ("dataflow_killed." + std::to_string(::getpid())))
          .string();
  std::filesystem::remove(marker);

  const std::uint64_t n = 200000;
  // Stage 1: a shuffle that completes; stage 2: a shuffle during which a worker dies.
  auto sums = ctx.range(0, n)
                  .map([](const std::uint64_t& x) { return std::pair(x % 20000, x); })
                  .reduce_by_key([](std::uint64_t a, std::uint64_t b) { return a + b; });
  auto regrouped = sums.map(regroup, marker).reduce_by_key([](std::uint64_t a, std::uint64_t b) {
    return a + b;
  });
  auto got = regrouped.collect();

  std::map<std::uint64_t, std::uint64_t> expected;
  for (std::uint64_t x = 0; x < n; ++x) expected[x % 20000 % 100] += x;
  std::sort(got.begin(), got.end());
  t.same("the result is right after a worker died", got,
         std::vector<std::pair<std::uint64_t, std::uint64_t>>(expected.begin(), expected.end()));
  t.check("a worker was killed", std::filesystem::exists(marker));
  t.check("the context goes on", sums.count() == 20000);
  std::filesystem::remove(marker);
  return t.verdict();
}
