// The soak run: SOAK_SECONDS (600) of random jobs on a three-node loopback cluster of real
// daemons, each job spawning, messaging, exiting and killing processes (soak_program), a few
// interrupted from outside. It holds that no process of a job is left after it, that every message
// whose send returned arrived exactly once and in order, that the daemons hold no more descriptors
// or memory after the run than after its warm-up, and prints a report. `make soak`; not in CI.
#include "daemon_footprint.hpp"
#include "job_loop.hpp"
#include "leftover_groups.hpp"
#include "soak_tally.hpp"

#include "fixture/local_cluster.hpp"
#include "fixture/process_scan.hpp"

#include <doctest/doctest.h>

#include <iostream>
#include <random>

using namespace cluster_test;

namespace {

// Waits for the cluster to hold nothing: no deployed process, no job, no reservation on any node,
// every node up. What does not come to pass in 20 s goes to violations.
void settle(const local_cluster& cluster, const char* when, std::vector<std::string>& violations) {
  if (!eventually([&] { return cluster.deployed_processes().empty(); }, milliseconds(20000))) {
    std::string list;
    for (pid_t p : cluster.deployed_processes()) list += "; " + describe_process(p);
    violations.push_back(std::string(when) + ": deployed processes still ran" + list);
  }
  const bool empty = cluster.wait_for_status(
      [](const cluster_status& s) {
        for (const auto& n : s.nodes)
          if (!n.up || n.mem_used != 0 || n.cpu_used != 0 || !n.processes.empty()) return false;
        return s.jobs == 0;
      },
      milliseconds(20000));
  if (!empty) {
    const auto last = cluster.status_run();
    violations.push_back(std::string(when) +
                         ": the cluster's status did not come back to empty: " + last.out);
  }
}

}  // namespace

TEST_CASE("soak: random jobs on a three-node cluster leave nothing behind") {
  const auto settings = soak::settings_from_environment();
  std::cout << "soak: " << settings.duration.count() << " s after a warm-up of "
            << settings.warm_up.count() << " s, SOAK_SEED=" << settings.seed << ", "
            << settings.jobs_at_once << " jobs at a time" << std::endl;
  std::mt19937_64 rng(settings.seed);
  const auto groups_before = soak::process_groups();
  // Room for eight small processes on each node, so that two jobs at a time spread over all
  // three, and now and then wait for room.
  auto layout = loopback_layout();
  for (auto& node : layout.nodes) node.cpu = "0.5";
  local_cluster cluster(layout);
  std::vector<std::string> violations;
  soak::job_loop loop(cluster, rng, settings.jobs_at_once);

  // The first jobs bring the binary into every cache and the allocators to their working size.
  const auto warm_up = loop.run_for(settings.warm_up, violations, false);
  settle(cluster, "after the warm-up", violations);
  const auto before = soak::quiet_daemons(cluster);
  std::cout << "warm-up done: " << warm_up.jobs << " jobs; soaking" << std::endl;

  const auto soaked = loop.run_for(settings.duration, violations, true);
  settle(cluster, "after the soak", violations);
  const auto after = soak::quiet_daemons(cluster);
  for (const auto& v : soak::compare_daemons(before, after)) violations.push_back(v);

  auto pids = warm_up.pids;
  pids.insert(soaked.pids.begin(), soaked.pids.end());
  for (const auto& g : soak::groups_left(groups_before, soak::process_groups(), pids))
    violations.push_back("cgroup left behind: " + g);

  soak::print_report(std::cout, settings, warm_up, soaked, before, after, violations);
  if (!violations.empty()) std::cout << cluster.diagnostics().substr(0, 20000) << std::endl;
  // Stopping checks, as for every cluster test, that the daemons end on SIGTERM and leave nothing.
  cluster.stop();
  CHECK_MESSAGE(violations.empty(), violations.size() << " violations: see the report above");
}
