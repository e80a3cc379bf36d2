#include "runner/deployed_run.hpp"

#include <fstream>

namespace e2e {

std::expected<cluster_access, std::string> find_cluster(const std::filesystem::path& run_folder,
                                                        const std::filesystem::path& deploy) {
  const std::string start_it =
      ": the cluster is not running. Start it with ctest -R e2e.cluster.start (ctest -L e2e does "
      "so before the cluster tests), or by hand with tests/e2e/cluster/e2e_cluster.sh start";
  cluster_access cluster;
  cluster.deploy = deploy;
  cluster.secret_file = run_folder / "secret";
  const auto address_file = run_folder / "bridge_address";
  std::ifstream in(address_file);
  if (!in || !std::getline(in, cluster.bridge) || cluster.bridge.empty())
    return std::unexpected(address_file.string() + " cannot be read" + start_it);
  std::error_code ec;
  if (!std::filesystem::is_regular_file(cluster.secret_file, ec))
    return std::unexpected(cluster.secret_file.string() + " is missing" + start_it);
  if (!std::filesystem::is_regular_file(deploy, ec))
    return std::unexpected("--deploy " + deploy.string() + " is not a file");
  return cluster;
}

std::vector<std::string> deploy_options(const cluster_access& cluster, output_format format) {
  return {"--format", format == output_format::json ? "json" : "human", "--secret-file",
          cluster.secret_file.string(), cluster.bridge};
}

run_request deployed(run_request request, const cluster_access& cluster, output_format format) {
  std::vector<std::string> args = deploy_options(cluster, format);
  args.push_back(request.program.string());
  args.insert(args.end(), request.args.begin(), request.args.end());
  request.program = cluster.deploy;
  request.args = std::move(args);
  return request;
}

}  // namespace e2e
