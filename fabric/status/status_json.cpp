#include "status/status_json.hpp"

#include <nlohmann/json.hpp>

namespace constellation::fabric {

namespace {

nlohmann::json job_json(const cluster_snapshot& cluster, const cluster_snapshot::job& job) {
  nlohmann::json j{{"id", job.id},
                   {"argv", job.argv},
                   {"client", job.client},
                   {"state", job.state},
                   {"outcome", job.outcome},
                   {"started_ms", job.started_ms},
                   {"ended_ms", job.ended_ms},
                   {"process_count", job.process_count},
                   {"counters", nlohmann::json::object()},
                   {"processes", nlohmann::json::array()}};
  for (const auto& [name, value] : job.counters) j["counters"][name] = value;
  for (const auto& p : job.processes)
    j["processes"].push_back(
        {{"pid", p.pid},
         {"parent", p.parent},
         {"node", p.node < cluster.nodes.size() ? cluster.nodes[p.node].address : ""},
         {"running", p.running},
         {"exit", p.exit},
         {"mem", p.mem},
         {"cpu", p.cpu}});
  return j;
}

}  // namespace

std::string status_json(const node_figures& node, const cluster_snapshot* cluster) {
  nlohmann::json doc{{"role", cluster ? "master" : "node"},
                     {"node",
                      {{"address", node.address},
                       {"master", node.master},
                       {"master_linked", node.master_linked},
                       {"processes", node.processes_running}}}};
  if (cluster) {
    doc["now_ms"] = cluster->now_ms;
    doc["waiting_spawns"] = cluster->waiting_spawns;
    doc["nodes"] = nlohmann::json::array();
    for (const auto& n : cluster->nodes)
      doc["nodes"].push_back({{"address", n.address},
                              {"up", n.up},
                              {"mem_total", n.mem_total},
                              {"mem_used", n.mem_used},
                              {"cpu_total", n.cpu_total},
                              {"cpu_used", n.cpu_used}});
    doc["jobs"] = nlohmann::json::array();
    for (const auto& job : cluster->jobs) doc["jobs"].push_back(job_json(*cluster, job));
    doc["ended_jobs"] = nlohmann::json::array();
    for (const auto& job : cluster->ended_jobs)
      doc["ended_jobs"].push_back(job_json(*cluster, job));
  }
  // Replaced rather than thrown on: a process's argv may hold bytes that are not UTF-8.
  return doc.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace constellation::fabric
