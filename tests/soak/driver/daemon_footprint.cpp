#include "daemon_footprint.hpp"

#include "fixture/process_footprint.hpp"
#include "fixture/process_scan.hpp"

#include <algorithm>
#include <thread>

namespace soak {

std::vector<daemon_figures> sample_daemons(const cluster_test::local_cluster& cluster) {
  std::vector<daemon_figures> out;
  for (std::size_t k = 0; k < cluster.node_count(); ++k)
    out.push_back({"node" + std::to_string(k) + " fabric", cluster.daemon_pid(k)});
  // The bridge is the master's child: there is one while the master runs it.
  for (pid_t p : cluster.daemon_processes())
    if (cluster_test::exe_of(p).ends_with("/constellation-bridge")) out.push_back({"bridge", p});
  for (auto& d : out) {
    d.descriptors = cluster_test::open_descriptors(d.pid).value_or(0);
    d.resident = cluster_test::resident_bytes(d.pid);
  }
  return out;
}

std::vector<daemon_figures> quiet_daemons(const cluster_test::local_cluster& cluster) {
  auto least = sample_daemons(cluster);
  for (int i = 0; i < 10; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    const auto now = sample_daemons(cluster);
    for (auto& d : least)
      for (const auto& n : now)
        if (n.pid == d.pid) {
          d.descriptors = std::min(d.descriptors, n.descriptors);
          d.resident = std::min(d.resident, n.resident);
        }
  }
  return least;
}

std::vector<std::string> compare_daemons(const std::vector<daemon_figures>& before,
                                         const std::vector<daemon_figures>& after) {
  std::vector<std::string> problems;
  for (const auto& b : before) {
    const auto a = std::find_if(after.begin(), after.end(),
                                [&](const daemon_figures& d) { return d.name == b.name; });
    if (a == after.end() || a->descriptors == 0) {
      problems.push_back(b.name + " (pid " + std::to_string(b.pid) + ") is gone");
      continue;
    }
    if (a->pid != b.pid) {
      problems.push_back(b.name + " was replaced: pid " + std::to_string(b.pid) + ", now " +
                         std::to_string(a->pid));
      continue;
    }
    if (a->descriptors > b.descriptors + descriptor_allowance)
      problems.push_back(b.name + " holds " + std::to_string(a->descriptors) + " descriptors, " +
                         std::to_string(b.descriptors) + " after the warm-up");
    const auto allowance = std::max(resident_allowance_floor, b.resident / 4);
    if (a->resident > b.resident + allowance)
      problems.push_back(b.name + " holds " + std::to_string(a->resident >> 10) +
                         " KiB resident, " + std::to_string(b.resident >> 10) +
                         " KiB after the warm-up");
  }
  return problems;
}

}  // namespace soak
