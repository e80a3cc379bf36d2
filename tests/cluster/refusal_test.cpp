// Whoever does not hold the cluster's secret is refused, and the daemons go on serving those who
// do: a deploy with another secret or none, and connections that send garbage instead of the
// handshake (wire/handshake.hpp), to the bridge and to every node's fabric.
#include "fixture/job_events.hpp"
#include "fixture/local_cluster.hpp"
#include "fixture/patience.hpp"
#include "fixture/raw_connection.hpp"
#include "fixture/spread_job.hpp"

#include <doctest/doctest.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <fstream>

using namespace cluster_test;

namespace {

std::string frame(std::uint8_t type, const std::string& payload) {
  const auto length = static_cast<std::uint32_t>(payload.size() + 1);
  std::string out;
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((length >> (8 * i)) & 0xff));
  out.push_back(static_cast<char>(type));
  return out + payload;
}

// What a confused or hostile peer might send first.
const std::pair<const char*, std::string> garbage[] = {
    {"an HTTP request", "GET / HTTP/1.1\r\nHost: constellation\r\n\r\n"},
    {"a 4 GiB length", std::string(4096, '\xff')},
    {"a frame of an unknown type", frame(0x42, "hello")},
    {"a client_hello that does not parse", frame(0xc1, std::string(40, '\x07'))},
};

}  // namespace

TEST_CASE(
    "a deploy without the secret and connections sending garbage are refused while the daemons "
    "keep serving") {
  local_cluster cluster;
  INFO(cluster.diagnostics());

  SUBCASE("deploy and status with another secret, or none") {
    const std::string wrong = cluster.folder() + "/another-secret";
    {
      std::ofstream out(wrong);
      out << "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\n";
    }
    ::chmod(wrong.c_str(), 0600);
    deploy_options another;
    another.secret_file = wrong;
    deploy_options none;  // the per-user default secret, made afresh in the cluster's folder
    none.give_secret = false;
    for (const auto* options : {&another, &none}) {
      auto deploy = cluster.deploy({"hello"}, *options);
      const auto code = deploy.wait_exit(milliseconds(10000));
      CAPTURE(deploy.out());
      CHECK(code == 1);
      const job_events events(deploy.out());
      CHECK(events.processes().empty());
      REQUIRE(events.errors().size() == 1);
      CHECK(events.errors().front().find("cannot authenticate") != std::string::npos);
      const auto status = cluster.status_run(*options);
      CAPTURE(status.out);
      CHECK(status.exit_code == 1);
      CHECK(status.out.find("cannot authenticate") != std::string::npos);
    }
    // Nothing of the program ran, not even its recce.
    CHECK(cluster.deployed_processes().empty());
    CHECK(cluster.node_log(0).find("refused a connection") != std::string::npos);
  }

  SUBCASE("garbage instead of the handshake, to the bridge and to every fabric") {
    std::vector<std::string> addresses{cluster.bridge_address()};
    for (std::size_t node = 0; node < cluster.node_count(); ++node)
      addresses.push_back(cluster.fabric_address(node));
    for (const auto& address : addresses) {
      for (const auto& [what, bytes] : garbage) {
        CAPTURE(address);
        CAPTURE(what);
        raw_connection c(address);
        REQUIRE(c.connected());
        c.send(bytes);
        CHECK(c.closed_by_peer(milliseconds(3000)));
      }
    }
    for (std::size_t node = 0; node < cluster.node_count(); ++node) {
      CAPTURE(node);
      CHECK(cluster.node_log(node).find("refused a connection") != std::string::npos);
    }
  }

  // Every daemon still serves: all nodes up, and a job with a process on each runs to its end.
  const auto status = cluster.status();
  REQUIRE(status);
  for (const auto& node : status->nodes) CHECK(node.up);
  run_spread(cluster);
}
