#pragma once
// Running a scenario's program deployed, as a user runs it on a cluster: through
// constellation-deploy, which shows the job's events as a local run would and exits by the same
// rule. The cluster is the one tests/e2e/cluster/e2e_cluster.sh started; its run folder holds the
// bridge's address and the cluster's secret.

#include "runner/expectation.hpp"
#include "runner/program_run.hpp"

#include <expected>
#include <filesystem>
#include <string>
#include <vector>

namespace e2e {

struct cluster_access {
  std::filesystem::path deploy;       // the constellation-deploy program
  std::string bridge;                 // the bridge's address, "127.0.0.11:40001"
  std::filesystem::path secret_file;  // the cluster's secret
};

// The cluster whose run folder is run_folder, reached with the program deploy. The error says
// what is missing and how to start the cluster.
std::expected<cluster_access, std::string> find_cluster(const std::filesystem::path& run_folder,
                                                        const std::filesystem::path& deploy);

// constellation-deploy's arguments before the program's path: the format and how to reach the
// cluster.
std::vector<std::string> deploy_options(const cluster_access& cluster, output_format format);

// request, changed to run its program through constellation-deploy: the program and its arguments
// become deploy's, after deploy_options(). The environment, stdin, timeout and stop stay: deploy
// forwards its environment to every process of the job and its stdin to the top process, and a
// SIGTERM or SIGINT to it ends the job on every node.
run_request deployed(run_request request, const cluster_access& cluster, output_format format);

}  // namespace e2e
