#pragma once
// What a node daemon reports of itself on its /metrics and status page.

#include <cstdint>
#include <string>

namespace constellation::fabric {

struct node_figures {
  std::string address;  // its LISTEN address
  std::string master;   // the master it belongs to, empty before one took it
  bool master_linked = false;
  std::size_t processes_running = 0;
  std::size_t processes_recorded = 0;  // running, or ended in a job not yet over
};

// A binary cache's content, read when scraped.
struct cache_figures {
  std::string name;  // "node": what this node runs; "master": what the master forwards
  std::uint64_t binaries = 0;
  std::uint64_t bytes = 0;
  std::uint64_t evicted = 0;  // binaries pruned since the daemon started
};

}  // namespace constellation::fabric
