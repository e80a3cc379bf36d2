#pragma once
// The node daemon: runs the processes its master places here, within their limits, and passes
// their output, exits and requests to the master.

#include "agent/frame_connection.hpp"
#include "cluster/binary_cache.hpp"
#include "cluster/cache_bounds.hpp"
#include "cluster/endpoint.hpp"
#include "cluster/log.hpp"
#include "node/node_figures.hpp"

#include <boost/asio/io_context.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

namespace constellation::fabric {

namespace metrics {
class daemon_counters;
}

struct node_options {
  cluster::endpoint listen;     // may be 0.0.0.0: processes' listeners bind there too
  std::uint32_t advertise = 0;  // the address in the pids of this node's processes (host order)
  std::string secret;           // the cluster's
  cluster::binary_cache cache;  // the binaries the master sent
  // What cache may hold: pruned at start, after each binary received and hourly; the binaries of
  // the jobs with a fork server here are kept.
  cluster::cache_bounds cache_bounds;
  // The master's bridge_order: run a bridge at bind linked to master, or none (bind empty).
  std::function<void(const std::string& bind, const std::string& master)> run_bridge;
};

class fabric_node {
 public:
  // counters: where launches are counted for /metrics; it must outlive the node.
  fabric_node(boost::asio::io_context& io, node_options options, const cluster::daemon_log& log,
              metrics::daemon_counters& counters);
  ~fabric_node();
  fabric_node(const fabric_node&) = delete;
  fabric_node& operator=(const fabric_node&) = delete;

  // How long a node that lost its master's link keeps belonging to it: the master reconnects every
  // second, so a link back within this time is the same master coming back (a restart, a network
  // hiccup), and another master taking the node meanwhile would be two masters fighting over it.
  static constexpr std::chrono::seconds master_grace{10};

  // A master authenticated on this node's port, from peer ("ip:port"), calling itself identity (its
  // LISTEN address). The node belongs to one master (ownership/master_ownership.hpp): the first
  // one, the same one again, or another once the owner's link has been gone for master_grace. It
  // then places processes here; any other master is refused with a master_verdict saying why,
  // logged (rate-limited) on both sides.
  void adopt_master(std::shared_ptr<agent::frame_connection> connection, std::string identity,
                    std::string peer, std::string already_received);

  // Ends every process (daemon shutdown); true once none is left.
  void stop_all(bool immediately);
  bool idle() const;
  // This node now, for its /metrics and status page.
  node_figures figures() const;
  // Binaries pruned from its cache since it started, for /metrics.
  std::uint64_t binaries_evicted() const;

  struct state;

 private:
  std::unique_ptr<state> state_;
};

}  // namespace constellation::fabric
