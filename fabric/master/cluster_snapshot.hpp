#pragma once
// What the master knows of its cluster at one moment, as plain values: the input of the status
// page (status/status_json.hpp) and of the cluster's metrics (metrics/metrics_exposition.hpp), so
// that both are pure functions of it and tested without a cluster.

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace constellation::fabric {

struct cluster_snapshot {
  struct node {
    std::string address;  // its fabric_addr
    bool up = false;
    std::uint64_t mem_total = 0, mem_used = 0;  // bytes; used: what its processes asked for
    double cpu_total = 0, cpu_used = 0;         // cores
  };
  struct process {
    std::string pid, parent;  // parent empty for a job's top process
    std::size_t node = 0;     // index into nodes
    bool running = true;
    std::string exit;  // once ended: "exit 0", "SIGKILL", ...
    std::uint64_t mem = 0;
    double cpu = 0;
  };
  struct job {
    std::string id;  // 16 hex digits
    std::vector<std::string> argv;
    std::string client;   // the host it was deployed from
    std::string state;    // waiting for its binary, starting, running, ending, finished, failed
    std::string outcome;  // once ended: the top's exit or the problem
    std::int64_t started_ms = 0, ended_ms = 0;
    std::vector<process> processes;   // in the order they were started; empty for ended jobs
    std::uint32_t process_count = 0;  // started in all
    // Counters the job's processes reported (constellation::add_to_counter), summed.
    std::vector<std::pair<std::string, double>> counters;
  };

  std::int64_t now_ms = 0;  // the master's clock
  std::vector<node> nodes;
  std::vector<job> jobs;           // running, newest first
  std::vector<job> ended_jobs;     // the last few ended, newest first
  std::size_t waiting_spawns = 0;  // spawns waiting for room
};

}  // namespace constellation::fabric
