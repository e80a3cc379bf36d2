#pragma once
// The master: reads the cluster description, keeps a link to every node's fabric
// (master/node_links.hpp), places each process on a node with room and routes every job's events
// to the bridge that started it (master/scheduler.hpp, which decides without sockets).

#include "config/nodes_config.hpp"
#include "master/cluster_snapshot.hpp"

#include "agent/frame_connection.hpp"
#include "cluster/binary_cache.hpp"
#include "cluster/cache_bounds.hpp"
#include "cluster/log.hpp"

#include <boost/asio/io_context.hpp>

#include <memory>
#include <string>

namespace constellation::fabric {

namespace metrics {
class daemon_counters;
}

class master {
 public:
  // cache: the binaries bridges sent, to forward to nodes, pruned to cache_bounds (the binaries of
  // jobs not yet ended are kept). counters: where spawns, launches and forwarded output are counted
  // for /metrics; it must outlive the master.
  master(boost::asio::io_context& io, cluster_config config, std::string secret,
         cluster::binary_cache cache, cluster::cache_bounds cache_bounds,
         const cluster::daemon_log& log, metrics::daemon_counters& counters);
  ~master();
  master(const master&) = delete;
  master& operator=(const master&) = delete;

  // Connects to every node, and keeps reconnecting to those that are down; prunes the cache.
  void start();
  // A bridge authenticated on the master's port.
  void adopt_bridge(std::shared_ptr<agent::frame_connection> connection,
                    std::string already_received);
  // Ends every job (daemon shutdown).
  void end_all_jobs(bool immediately);
  // The cluster, its jobs and their processes now: for the status page and /metrics.
  cluster_snapshot snapshot() const;
  // Binaries pruned from its cache since it started, for /metrics.
  std::uint64_t binaries_evicted() const;

 private:
  // The links to nodes and bridges, around the scheduler that decides (master/scheduler.hpp).
  class shell;
  std::unique_ptr<shell> shell_;
};

}  // namespace constellation::fabric
