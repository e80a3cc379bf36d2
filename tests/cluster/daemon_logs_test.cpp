// What the daemons log when a link fails must lead to the cause: the peer's address, and why, said
// once rather than at every retry.
#include "fixture/local_cluster.hpp"

#include <doctest/doctest.h>

#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <iterator>
#include <thread>

using namespace cluster_test;

namespace {

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::size_t count(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

cluster_layout two_nodes() {
  auto layout = loopback_layout();
  layout.nodes.pop_back();
  return layout;
}

}  // namespace

TEST_CASE("a node with another secret: the master says why, with the address, once") {
  local_cluster cluster(two_nodes());
  const std::string node = cluster.fabric_address(1);
  cluster.kill_node(1);
  // A daemon with another secret takes the node's place.
  const std::string secret = cluster.folder() + "/other-secret";
  std::ofstream(secret) << "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff\n";
  ::chmod(secret.c_str(), 0600);
  const std::string log = cluster.folder() + "/other-node.log";
  INFO(cluster.diagnostics() << "---- node with another secret:\n" << read_text(log));
  child_process other({{fabric_program(), "--secret-file", secret, "--cache-dir",
                        cluster.folder() + "/other-cache", node},
                       {cluster.marker(), "TMPDIR=" + cluster.folder() + "/tmp",
                        "HOME=" + cluster.folder() + "/home"},
                       {"CONSTELLATION_SECRET_FILE"},
                       log});
  const std::string says = "cannot authenticate with node " + node;
  REQUIRE(eventually([&] { return cluster.node_log(0).find(says) != std::string::npos; },
                     milliseconds(10000)));
  // The master retries every second; each retry is refused, and neither side repeats itself.
  REQUIRE(eventually([&] { return count(read_text(log), "handshake") >= 1; }, milliseconds(5000)));
  std::this_thread::sleep_for(std::chrono::milliseconds(2500));
  CHECK(count(cluster.node_log(0), says) == 1);
  // (From 127.0.0.1: on loopback the master's connections leave from there.)
  CHECK(count(read_text(log), "refused a connection from ") == 1);
  other.signal(SIGTERM);
  CHECK(other.wait_exit(milliseconds(8000)) == 0);
}

TEST_CASE("a node that loses its master names it") {
  local_cluster cluster(two_nodes());
  const std::string master = cluster.fabric_address(0);
  cluster.kill_node(0);
  INFO(cluster.diagnostics());
  // The master by its address, and the address its link came from.
  CHECK(eventually(
      [&] {
        return cluster.node_log(1).find("lost the master " + master + " (from 127.") !=
               std::string::npos;
      },
      milliseconds(10000)));
}
