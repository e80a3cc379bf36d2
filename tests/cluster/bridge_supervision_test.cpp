// The master keeps its bridge running: a bridge that dies is restarted, one that cannot bind its
// address is retried with growing delays and said so in the master's log, and deploy clients are
// served again once it is back, without restarting the master. Every other bridge_bind of the
// cluster file is served by its node's daemon, on the master's word, and kept running alike.
#include "fixture/local_cluster.hpp"
#include "fixture/patience.hpp"
#include "fixture/process_scan.hpp"

#include <doctest/doctest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>

using namespace cluster_test;

namespace {

std::size_t count(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

pid_t bridge_of(const local_cluster& cluster, std::size_t node = 0) {
  for (pid_t p : descendants_of(cluster.daemon_pid(node)))
    if (exe_of(p).ends_with("/constellation-bridge")) return p;
  return -1;
}

// A listening socket on address ("ip:port") once it can be bound; -1 if it cannot within limit.
int occupy(const std::string& address, milliseconds limit) {
  const auto colon = address.rfind(':');
  sockaddr_in at{};
  at.sin_family = AF_INET;
  at.sin_port = htons(static_cast<std::uint16_t>(std::stoi(address.substr(colon + 1))));
  ::inet_pton(AF_INET, address.substr(0, colon).c_str(), &at.sin_addr);
  int fd = -1;
  eventually(
      [&] {
        fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (::bind(fd, reinterpret_cast<const sockaddr*>(&at), sizeof at) == 0 &&
            ::listen(fd, 1) == 0)
          return true;
        ::close(fd);
        fd = -1;
        return false;
      },
      limit);
  return fd;
}

}  // namespace

TEST_CASE(
    "the master restarts a bridge that died, retries one that cannot bind, and serves again") {
  local_cluster cluster;
  INFO(cluster.diagnostics());
  const pid_t first = bridge_of(cluster);
  REQUIRE(first > 0);

  // Killed, and its address taken before the master starts it again (after half a second).
  ::kill(first, SIGKILL);
  const int taken = occupy(cluster.bridge_address(), milliseconds(400));
  REQUIRE(taken >= 0);
  const std::string cannot_bind = "the bridge cannot listen on " + cluster.bridge_address();
  CHECK(eventually(
      [&] {
        return cluster.node_log(0).find("the bridge at " + cluster.bridge_address() +
                                        " was killed by SIGKILL") != std::string::npos;
      },
      milliseconds(5000)));
  // Two failed tries, each said, with growing delays in between (0.5 s, then 1 s): not a spin.
  REQUIRE(eventually([&] { return count(cluster.node_log(0), cannot_bind) >= 2; },
                     milliseconds(10000)));
  CHECK(count(cluster.node_log(0), cannot_bind) <= 3);
  CHECK(cluster.node_log(0).find("change bridge_bind in the cluster file") != std::string::npos);
  CHECK_FALSE(cluster.status());

  // Given its address back, the bridge returns at the next try, and clients are served.
  ::close(taken);
  CHECK(cluster.wait_for_status([](const cluster_status& s) { return s.nodes.size() == 3; },
                                patience(milliseconds(15000))));
  const pid_t restarted = bridge_of(cluster);
  CHECK(restarted > 0);
  CHECK(restarted != first);
  CHECK(cluster.node_log(0).find("restarted the bridge at " + cluster.bridge_address()) !=
        std::string::npos);
  auto deploy = cluster.deploy({"hello"});
  CHECK(deploy.wait_exit(patience(milliseconds(15000))) == 0);
}

TEST_CASE(
    "a node serves its own bridge_bind: deploy clients reach the cluster through it, and it is "
    "restarted") {
  auto layout = loopback_layout();
  layout.nodes[1].bridge = true;
  local_cluster cluster(layout);
  INFO(cluster.diagnostics());
  deploy_options through_node_1;
  through_node_1.bridge_node = 1;
  // The node starts it once the master took the node, told by the master: no hand-started process.
  const auto answers = [&] { return cluster.status_run(through_node_1).exit_code == 0; };
  REQUIRE(eventually(answers, patience(milliseconds(15000))));
  const pid_t first = bridge_of(cluster, 1);
  REQUIRE(first > 0);
  CHECK(cluster.node_log(1).find("started the bridge at " + cluster.bridge_address(1)) !=
        std::string::npos);
  // Only the first entry's bridge is the master's own; the third entry has none.
  CHECK(bridge_of(cluster, 2) == -1);

  auto deploy = cluster.deploy({"hello"}, through_node_1);
  REQUIRE(deploy.wait_exit(patience(milliseconds(15000))) == 0);
  // The top process and its child, both run and both reported through this bridge.
  CHECK_MESSAGE(count(deploy.out(), "\"event\":\"exit\"") == 2, deploy.out());
  CHECK_MESSAGE(count(deploy.out(), "\"status\":0") == 2, deploy.out());

  // Killed, it comes back, and serves again.
  ::kill(first, SIGKILL);
  CHECK(eventually(
      [&] {
        return cluster.node_log(1).find("restarted the bridge at " + cluster.bridge_address(1)) !=
               std::string::npos;
      },
      patience(milliseconds(15000))));
  CHECK(eventually(answers, patience(milliseconds(15000))));
  CHECK(bridge_of(cluster, 1) != first);
  auto again = cluster.deploy({"hello"}, through_node_1);
  CHECK(again.wait_exit(patience(milliseconds(15000))) == 0);
}
