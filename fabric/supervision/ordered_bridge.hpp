#pragma once
// A node's bridge, run because its master said so (wire::bridge_order): every bridge_bind of
// nodes.toml is served by the daemon of its entry, as the master serves its own, so that no
// address the cluster file offers to deploy clients needs a process started by hand. The bridge
// is supervised as the master's is (bridge_supervisor.hpp); another order replaces it, an empty
// one ends it.

#include "cluster/log.hpp"
#include "supervision/bridge_supervisor.hpp"

#include <boost/asio/any_io_executor.hpp>

#include <sys/types.h>

#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace constellation::fabric {

class ordered_bridge {
 public:
  // program: constellation-bridge, if found; arguments_for(bind, master): its arguments;
  // secret_chosen: whether the daemon has the cluster's own secret, which a bridge off loopback
  // needs.
  ordered_bridge(
      boost::asio::any_io_executor executor, const cluster::daemon_log& log,
      std::optional<std::string> program,
      std::function<std::vector<std::string>(const std::string& bind, const std::string& master)>
          arguments_for,
      bool secret_chosen);

  // The master's order: a bridge at bind linked to master, or none (bind empty). The same order
  // again changes nothing.
  void order(const std::string& bind, const std::string& master);
  // From the daemon's reaper; true when pid was this bridge.
  bool on_child_exit(pid_t pid, int wait_status);
  void stop();

 private:
  boost::asio::any_io_executor executor_;
  const cluster::daemon_log& log_;
  std::optional<std::string> program_;
  std::function<std::vector<std::string>(const std::string&, const std::string&)> arguments_for_;
  bool secret_chosen_;
  std::string bind_, master_;
  std::optional<bridge_supervisor> bridge_;
};

}  // namespace constellation::fabric
