#include "metrics/metrics_exposition.hpp"

#include "wire/counter_name.hpp"

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include <map>

namespace constellation::fabric::metrics {

namespace {

using prometheus::BuildCounter;
using prometheus::BuildGauge;

prometheus::Family<prometheus::Gauge>& gauge(prometheus::Registry& r, const std::string& name,
                                             const std::string& help) {
  return BuildGauge().Name(name).Help(help).Register(r);
}

void add_node_state(prometheus::Registry& r, const node_figures& node,
                    const std::vector<cache_figures>& caches) {
  gauge(r, "constellation_node_processes", "Processes running on this node")
      .Add({})
      .Set(static_cast<double>(node.processes_running));
  gauge(r, "constellation_node_process_records",
        "Processes this node keeps a record of: those running and those ended in jobs not yet over")
      .Add({})
      .Set(static_cast<double>(node.processes_recorded));
  gauge(r, "constellation_node_master_linked",
        "1 while this node is linked to the master it belongs to")
      .Add({})
      .Set(node.master_linked ? 1 : 0);
  auto& binaries = gauge(r, "constellation_binaries_cached",
                         "Program binaries kept in this daemon's cache, by cache");
  auto& bytes = gauge(r, "constellation_binary_cache_bytes",
                      "Bytes of the binaries kept in this daemon's cache, by cache");
  // Counted by the daemon and read when scraped: a counter built afresh with the total so far.
  auto& evicted = BuildCounter()
                      .Name("constellation_binaries_evicted_total")
                      .Help(
                          "Binaries pruned from this daemon's cache (--cache-max-bytes, "
                          "--cache-max-age), by cache")
                      .Register(r);
  for (const auto& c : caches) {
    binaries.Add({{"cache", c.name}}).Set(static_cast<double>(c.binaries));
    bytes.Add({{"cache", c.name}}).Set(static_cast<double>(c.bytes));
    evicted.Add({{"cache", c.name}}).Increment(static_cast<double>(c.evicted));
  }
}

void add_cluster_state(prometheus::Registry& r, const cluster_snapshot& cluster) {
  auto& nodes = gauge(r, "constellation_nodes",
                      "Nodes in the cluster file, by whether the master reaches them");
  std::size_t up = 0;
  for (const auto& n : cluster.nodes) up += n.up ? 1 : 0;
  nodes.Add({{"state", "up"}}).Set(static_cast<double>(up));
  nodes.Add({{"state", "down"}}).Set(static_cast<double>(cluster.nodes.size() - up));
  auto& node_up = gauge(r, "constellation_node_up", "1 when the master reaches the node");
  auto& mem = gauge(r, "constellation_node_memory_bytes", "Memory the node offers to processes");
  auto& mem_used = gauge(r, "constellation_node_memory_reserved_bytes",
                         "Memory the node's running processes asked for");
  auto& cpu = gauge(r, "constellation_node_cpus", "Cores the node offers to processes");
  auto& cpu_used =
      gauge(r, "constellation_node_cpus_reserved", "Cores the node's running processes asked for");
  for (const auto& n : cluster.nodes) {
    const prometheus::Labels l{{"node", n.address}};
    node_up.Add(l).Set(n.up ? 1 : 0);
    mem.Add(l).Set(static_cast<double>(n.mem_total));
    mem_used.Add(l).Set(static_cast<double>(n.mem_used));
    cpu.Add(l).Set(n.cpu_total);
    cpu_used.Add(l).Set(n.cpu_used);
  }
  gauge(r, "constellation_jobs_running", "Jobs deployed and not yet ended")
      .Add({})
      .Set(static_cast<double>(cluster.jobs.size()));
  gauge(r, "constellation_spawns_waiting", "Spawns waiting for room on a node")
      .Add({})
      .Set(static_cast<double>(cluster.waiting_spawns));
  auto& processes = gauge(r, "constellation_job_processes", "Running processes, by job and node");
  // A job's own counters, one family per name, with a series per job (running or recently ended).
  std::map<std::string, prometheus::Family<prometheus::Counter>*> job_counters;
  auto add_counters = [&](const cluster_snapshot::job& job) {
    for (const auto& [name, value] : job.counters) {
      if (!wire::is_counter_name(name)) continue;
      auto& family = job_counters[name];
      if (!family)
        family =
            &BuildCounter()
                 .Name("constellation_job_" + name + "_total")
                 .Help("Reported by the job's processes through constellation::add_to_counter(\"" +
                       name + "\")")
                 .Register(r);
      family->Add({{"job", job.id}}).Increment(value);
    }
  };
  for (const auto& job : cluster.jobs) {
    std::map<std::size_t, std::size_t> per_node;
    for (const auto& p : job.processes)
      if (p.running) ++per_node[p.node];
    for (const auto& [node, count] : per_node)
      if (node < cluster.nodes.size())
        processes.Add({{"job", job.id}, {"node", cluster.nodes[node].address}})
            .Set(static_cast<double>(count));
    add_counters(job);
  }
  for (const auto& job : cluster.ended_jobs) add_counters(job);
}

}  // namespace

std::string metrics_exposition(const daemon_counters& counters, const node_figures& node,
                               const std::vector<cache_figures>& caches,
                               const cluster_snapshot* cluster) {
  prometheus::Registry state;
  add_node_state(state, node, caches);
  if (cluster) add_cluster_state(state, *cluster);
  auto families = counters.collect();
  auto more = state.Collect();
  families.insert(families.end(), std::make_move_iterator(more.begin()),
                  std::make_move_iterator(more.end()));
  return prometheus::TextSerializer().Serialize(families);
}

}  // namespace constellation::fabric::metrics
