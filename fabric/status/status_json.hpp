#pragma once
// What the status page shows, as the JSON document it fetches every second from /status.json. A
// pure function of the daemon's state: no sockets, no clock.
//
// {"role": "master" | "node", "node": {"address", "master", "master_linked", "processes"},
//  and on the master: "now_ms", "waiting_spawns",
//  "nodes": [{"address", "up", "mem_total", "mem_used", "cpu_total", "cpu_used"}],
//  "jobs", "ended_jobs": [{"id", "argv", "client", "state", "outcome", "started_ms", "ended_ms",
//           "process_count", "counters": {name: value},
//           "processes": [{"pid", "parent", "node", "running", "exit", "mem", "cpu"}]}]}
// A process's "node" is the address of the node it runs on; "parent" is "" for a job's top.

#include "master/cluster_snapshot.hpp"
#include "node/node_figures.hpp"

#include <string>

namespace constellation::fabric {

std::string status_json(const node_figures& node, const cluster_snapshot* cluster);

}  // namespace constellation::fabric
