// options::workers = 0 takes as many workers as there is room for: natively one per core the
// driver may run on (it first narrows itself to two cores, so that the figure is the same on every
// test machine), deployed as many as the master places on the cluster's nodes. Each worker says
// where it runs, so that the spread over the nodes shows; the job's result is right, and the
// workers end with status 0. A worker request that nothing can ever hold fails the context at once
// with a job_error that says why.
#include "dataflow/checks.hpp"
#include "scenario.hpp"

#include <constellation/constellation.hpp>

#include <sched.h>
#include <unistd.h>

#include <filesystem>
#include <map>
#include <set>

namespace df = constellation::dataflow;

namespace {

// The cores the scenario lets itself (and so its driver) run on natively.
constexpr int driver_cores = 2;

// Which node a worker runs on, and which worker it is: the host name and the folder of the
// running binary (each node of the loopback cluster runs the job's binary from a cache folder of
// its own), and the worker's process id, unique on the host.
std::pair<std::string, std::int64_t> where_it_runs(const std::uint64_t&) {
  char host[256] = {};
  ::gethostname(host, sizeof host - 1);
  std::error_code ec;
  const auto binary = std::filesystem::read_symlink("/proc/self/exe", ec);
  return {std::string(host) + ":" + binary.parent_path().string(),
          static_cast<std::int64_t>(::getpid())};
}

void never_runs(constellation::pid) {}

// The first driver_cores cores of this thread's set; false when it has fewer.
bool narrow_to_driver_cores() {
  cpu_set_t set;
  if (::sched_getaffinity(0, sizeof set, &set) != 0 || CPU_COUNT(&set) < driver_cores) return false;
  cpu_set_t narrowed;
  CPU_ZERO(&narrowed);
  int kept = 0;
  for (int cpu = 0; cpu < CPU_SETSIZE && kept < driver_cores; ++cpu) {
    if (!CPU_ISSET(cpu, &set)) continue;
    CPU_SET(cpu, &narrowed);
    ++kept;
  }
  return ::sched_setaffinity(0, sizeof narrowed, &narrowed) == 0;
}

}  // namespace

CONSTELLATION_SCENARIO(dataflow_workers_by_room) {
  e2e::dataflow::tally t;
  t.check("the driver runs on " + std::to_string(driver_cores) + " cores",
          narrow_to_driver_cores());

  df::options o;  // workers = 0, the default worker request: 1 GiB and one core each
  o.progress = false;
  {
    df::context ctx(o);
    const auto workers = ctx.workers();

    // Enough tasks that every worker runs some (tasks go to partition % workers).
    const auto places = ctx.range(0, 8 * workers, 8 * workers).map(where_it_runs).collect();
    std::map<std::string, std::set<std::int64_t>> on_node;
    for (const auto& [node, process] : places) on_node[node].insert(process);
    std::multiset<std::size_t> spread;
    std::size_t seen = 0;
    for (const auto& [node, processes] : on_node) {
      spread.insert(processes.size());
      seen += processes.size();
    }
    std::cout << "workers " << workers << ", per node";
    for (auto n : spread) std::cout << " " << n;
    std::cout << "\n";
    t.check("every worker ran a task", seen == workers);

    if (constellation::this_process::deployed()) {
      // The driver took all the room there was: one more worker of the same request fits nowhere.
      const auto another = constellation::try_spawn(o.worker, never_runs);
      t.check("no room is left for another worker",
              !another && another.error().reason() == constellation::spawn_errc::no_capacity);
    }

    const auto sums = ctx.range(0, 100'000)
                          .map([](const std::uint64_t& x) { return std::pair(x % 97, x); })
                          .reduce_by_key([](std::uint64_t a, std::uint64_t b) { return a + b; })
                          .collect();
    std::vector<std::pair<std::uint64_t, std::uint64_t>> expected(97);
    for (std::uint64_t k = 0; k < 97; ++k) expected[k].first = k;
    for (std::uint64_t x = 0; x < 100'000; ++x) expected[x % 97].second += x;
    t.same_items("reduce_by_key over every worker", sums, expected);
  }

  // Larger than this machine and than every node of a cluster: waiting could never make room.
  df::options too_large = o;
  too_large.worker = {.mem = 64 * constellation::TiB, .cpu = 1};
  try {
    df::context ctx(too_large);
    t.check("a worker no node can hold fails the context", false);
  } catch (const df::job_error& e) {
    std::cout << "job_error: " << e.what() << "\n";
  }
  return t.verdict();
}
