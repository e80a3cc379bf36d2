// A node whose network link is cut: unlike a killed daemon, nothing tells anyone (no reset, no
// FIN); the links' own liveness checks must notice, whether or not data was on its way when the
// link went. Each node runs in a network namespace of the test's own
// (fixture/network_namespaces.hpp); needs root, and is skipped otherwise.
#include "fixture/job_events.hpp"
#include "fixture/local_cluster.hpp"
#include "fixture/network_namespaces.hpp"
#include "fixture/patience.hpp"
#include "fixture/process_scan.hpp"

#include <doctest/doctest.h>

#include <chrono>
#include <memory>

using namespace cluster_test;

namespace {

using clock = std::chrono::steady_clock;

milliseconds since(clock::time_point start) {
  return std::chrono::duration_cast<milliseconds>(clock::now() - start);
}

// The test cluster's three nodes, each in its namespace, at 10.200.0.1-3. The cluster stops before
// its namespaces go.
struct namespaced_cluster {
  namespace_network network{3};
  local_cluster cluster{layout(network)};

  static cluster_layout layout(const namespace_network& network) {
    auto l = loopback_layout();
    for (std::size_t k = 0; k < l.nodes.size(); ++k) {
      l.nodes[k].ip = network.ip(k);
      l.nodes[k].run_prefix = network.run_prefix(k);
    }
    // The namespaces are the test's own: fixed ports cannot collide with anything.
    l.fabric_port = 7001;
    l.bridge_port = 7000;
    return l;
  }
};

// nullptr, with a message saying why, where namespaces cannot be made.
std::unique_ptr<namespaced_cluster> make_namespaced_cluster() {
  if (const auto why = namespace_network::unavailable()) {
    MESSAGE("skipped: network namespaces cannot be made here: " << *why);
    return nullptr;
  }
  return std::make_unique<namespaced_cluster>();
}

bool top_ready(const std::string& out) {
  return top_printed(out, "ready");
}

}  // namespace

TEST_CASE(
    "a node whose link is cut mid-job is reported lost within seconds (network namespaces, root "
    "only)") {
  const auto made = make_namespaced_cluster();
  if (!made) return;
  auto& [network, cluster] = *made;
  INFO(cluster.diagnostics());

  auto deploy = cluster.deploy({"spread"});
  REQUIRE_MESSAGE(deploy.wait_for_output(top_ready, patience(milliseconds(20000))),
                  deploy.out() << deploy.err());
  const auto c = spawned_pid(deploy.out(), "C");
  REQUIRE(!c.empty());
  const auto status = cluster.status();
  REQUIRE(status);
  REQUIRE(status->node_of(c) == std::optional<std::size_t>(2));

  const auto cut = clock::now();
  network.cut(2);
  const bool reported = deploy.wait_for_output(
      [&](const std::string& out) { return job_events(out).exit_of(c).has_value(); },
      patience(milliseconds(20000)));
  const auto after = since(cut);
  INFO("deploy printed:\n" << deploy.out() << deploy.err());
  REQUIRE(reported);
  MESSAGE("the cut link was noticed after " << after.count() << " ms");
  CHECK(after < milliseconds(10000));
  const auto exit = job_events(deploy.out()).exit_of(c);
  CHECK(exit->signal == "SIGKILL");
  CHECK(exit->reason.find(cluster.fabric_address(2)) != std::string::npos);
  const auto down = cluster.status();
  REQUIRE(down);
  CHECK(!down->nodes.at(2).up);

  // The job ends, as a failure, without hanging on the process it cannot reach: the top process
  // is told C is gone when it sends to it.
  deploy.write_stdin("go\n");
  const auto code = deploy.wait_exit(milliseconds(10000));
  CHECK_MESSAGE(code.has_value(),
                "the job did not end within 10 s of being let go: is its top process still "
                "sending to C, whose link is cut?");
  if (code) CHECK(*code != 0);
  deploy.kill_and_reap();

  // The cut-off node ended its processes on its own, having lost its master: only its daemon is
  // left in its namespace.
  CHECK(eventually(
      [&] {
        const auto left = network.processes_in(2);
        return left.size() == 1 && exe_of(left.front()) == fabric_program();
      },
      milliseconds(10000)));

  // The link comes back: the master takes the node back.
  network.restore(2);
  const auto restored = clock::now();
  CHECK(cluster.wait_for_status([](const cluster_status& s) { return s.nodes.at(2).up; },
                                patience(milliseconds(15000))));
  MESSAGE("the node was back up after " << since(restored).count() << " ms");
}

TEST_CASE(
    "a node whose link is cut while the master sends to it is reported down within seconds "
    "(network namespaces, root only)") {
  const auto made = make_namespaced_cluster();
  if (!made) return;
  auto& [network, cluster] = *made;
  INFO(cluster.diagnostics());

  // A and B start; then the link to the third node is cut, and at once the job spawns C: the master
  // sends the third node the binary and C's launch order into the cut link, before any keepalive
  // probe would have gone out. (On cue rather than by timing: a sanitized build takes longer to
  // start A and B than the master takes to notice a cut link.)
  auto deploy = cluster.deploy({"spread_on_cue"});
  REQUIRE_MESSAGE(
      deploy.wait_for_output([](const std::string& out) { return top_printed(out, "C on cue"); },
                             milliseconds(30000)),
      deploy.out() << deploy.err());
  const auto cut = clock::now();
  network.cut(2);
  deploy.write_stdin("go\n");
  const bool down = cluster.wait_for_status(
      [](const cluster_status& s) { return !s.nodes.at(2).up; }, milliseconds(10000));
  INFO("deploy printed:\n" << deploy.out() << deploy.err());
  CHECK_MESSAGE(down, "the master still counts the cut-off node as up " << since(cut).count()
                                                                        << " ms after the cut");
  if (!down) return;  // what follows depends on it, and would only wait out its limits
  MESSAGE("the cut link was noticed after " << since(cut).count() << " ms");

  // C was being started there: its spawn fails, saying why, and the job ends as a failure.
  REQUIRE(deploy.wait_for_output(
      [](const std::string& out) { return top_printed(out, "spawn C failed:"); },
      milliseconds(10000)));
  const auto failed = line_starting(top_output(deploy.out()), "spawn C failed:");
  std::string why;
  for (const auto& w : failed) why += w + " ";
  CAPTURE(why);
  CHECK(why.find(cluster.fabric_address(2)) != std::string::npos);
  CHECK(why.find("lost") != std::string::npos);
  CHECK(deploy.wait_exit(milliseconds(10000)) == 3);

  // The link comes back: the node is taken back, and serves the next job, binary and all.
  network.restore(2);
  REQUIRE(cluster.wait_for_status([](const cluster_status& s) { return s.nodes.at(2).up; },
                                  patience(milliseconds(15000))));
  auto again = cluster.deploy({"spread"});
  REQUIRE_MESSAGE(again.wait_for_output(top_ready, patience(milliseconds(15000))),
                  again.out() << again.err());
  again.write_stdin("go\n");
  CHECK(again.wait_exit(milliseconds(10000)) == 0);
}
