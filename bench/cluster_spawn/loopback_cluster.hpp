#pragma once
// A three-node cluster on the loopback addresses 127.0.0.11-13 of this machine, started as child
// processes of the benchmark in a temporary folder, as tests/e2e/cluster/e2e_cluster.sh does for
// the end-to-end tests. Node 1 is the master and runs the bridge.

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

namespace cluster_spawn {

class loopback_cluster {
 public:
  // Starts the daemons and returns once `constellation-deploy status` shows three nodes up;
  // tries other ports when they do not come up within 20 s. Throws std::runtime_error (naming
  // the logs, which are then kept) when no attempt succeeds.
  loopback_cluster(std::string fabric_program, std::string deploy_program);
  // Stops every daemon (SIGTERM, SIGKILL after 15 s) and removes the folder unless something
  // failed.
  ~loopback_cluster();
  loopback_cluster(const loopback_cluster&) = delete;
  loopback_cluster& operator=(const loopback_cluster&) = delete;

  // Runs `constellation-deploy --format human BRIDGE program args...` and returns its output
  // (standard output and error together). Throws std::runtime_error when it does not exit with 0
  // within timeout.
  std::string deploy(const std::string& program, const std::vector<std::string>& args,
                     std::chrono::seconds timeout);

  const std::filesystem::path& folder() const { return folder_; }

 private:
  bool try_start(int port);
  bool all_nodes_up();
  void stop();

  std::string fabric_, deploy_;
  std::filesystem::path folder_;
  std::string bridge_address_;
  std::vector<pid_t> daemons_;
  bool keep_folder_ = false;
};

}  // namespace cluster_spawn
