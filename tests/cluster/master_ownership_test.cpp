// A node belongs to one master: a second master that lists it is refused, and both say so in their
// logs, while the first keeps the node and what runs there. Without this the two masters took the
// node from each other every second, each time ending every process on it.
#include "fixture/job_events.hpp"
#include "fixture/local_cluster.hpp"
#include "fixture/patience.hpp"

#include <doctest/doctest.h>

#include <signal.h>

#include <fstream>
#include <iterator>

using namespace cluster_test;

namespace {

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

cluster_layout two_nodes() {
  auto layout = loopback_layout();
  layout.nodes.pop_back();
  return layout;
}

}  // namespace

TEST_CASE("a second master is refused by a node that has one, and both sides log it") {
  local_cluster cluster(two_nodes());
  const std::string port =
      cluster.fabric_address(0).substr(cluster.fabric_address(0).rfind(':') + 1);
  const std::string second = "127.0.0.14:" + port;
  const std::string toml = cluster.folder() + "/second-nodes.toml";
  std::ofstream(toml) << "[[nodes]]\nfabric_addr = \"" << second
                      << "\"\nmem = \"1 GiB\"\ncpu = 1\n\n"
                      << "[[nodes]]\nfabric_addr = \"" << cluster.fabric_address(1)
                      << "\"\nmem = \"1 GiB\"\ncpu = 1\n";
  const std::string log = cluster.folder() + "/second-master.log";
  INFO(cluster.diagnostics() << "---- second master log:\n" << read_text(log));

  child_process other({{fabric_program(), "--secret-file", cluster.secret_file(), "--cache-dir",
                        cluster.folder() + "/second-cache", second, toml},
                       {cluster.marker(), "TMPDIR=" + cluster.folder() + "/tmp",
                        "HOME=" + cluster.folder() + "/home"},
                       {"CONSTELLATION_SECRET_FILE"},
                       log});
  const std::string node = cluster.fabric_address(1);
  CHECK(eventually(
      [&] {
        return read_text(log).find("node " + node + " refused this master") != std::string::npos &&
               cluster.node_log(1).find("refused master " + second) != std::string::npos;
      },
      milliseconds(10000)));
  // The first master kept the node all along, and it still runs a job there.
  CHECK(cluster.node_log(0).find("lost node " + node) == std::string::npos);
  auto deploy = cluster.deploy({"hello"});
  CHECK(deploy.wait_exit(patience(milliseconds(15000))) == 0);
  CHECK(cluster.node_log(0).find("lost node " + node) == std::string::npos);

  other.signal(SIGTERM);
  CHECK(other.wait_exit(milliseconds(8000)) == 0);
}
