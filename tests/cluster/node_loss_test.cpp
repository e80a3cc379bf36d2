// A node that dies mid-job: its daemon and every process on it killed at once, as when the machine
// goes. The deploy must say so within seconds, naming the node, and end with a failure.
#include "fixture/job_events.hpp"
#include "fixture/local_cluster.hpp"
#include "fixture/patience.hpp"

#include <doctest/doctest.h>

#include <chrono>

using namespace cluster_test;

TEST_CASE("a node killed mid-job gives a clear failure within seconds") {
  local_cluster cluster;
  INFO(cluster.diagnostics());
  auto deploy = cluster.deploy({"spread"});
  REQUIRE_MESSAGE(
      deploy.wait_for_output([](const std::string& out) { return top_printed(out, "ready"); },
                             patience(milliseconds(20000))),
      deploy.out() << deploy.err());
  const auto c = spawned_pid(deploy.out(), "C");
  REQUIRE(!c.empty());
  const auto status = cluster.status();
  REQUIRE(status);
  REQUIRE(status->node_of(c) == std::optional<std::size_t>(2));

  const auto killed = std::chrono::steady_clock::now();
  cluster.kill_node(2);
  const bool reported = deploy.wait_for_output(
      [&](const std::string& out) { return job_events(out).exit_of(c).has_value(); },
      milliseconds(10000));
  const auto after =
      std::chrono::duration_cast<milliseconds>(std::chrono::steady_clock::now() - killed);
  INFO("deploy printed:\n" << deploy.out() << deploy.err());
  REQUIRE(reported);
  CHECK(after < milliseconds(5000));
  const auto exit = job_events(deploy.out()).exit_of(c);
  CHECK(exit->signal == "SIGKILL");
  CHECK(exit->reason.find(cluster.fabric_address(2)) != std::string::npos);
  CHECK(exit->reason.find("lost") != std::string::npos);

  // The master knows the node is down; the other nodes' processes run on.
  const auto down = cluster.status();
  REQUIRE(down);
  CHECK(!down->nodes.at(2).up);
  CHECK(down->nodes.at(0).up);
  CHECK(down->nodes.at(1).up);
  CHECK(down->process_count() == 3);

  // The job ends as a failure: the top process cannot reach C, and a process died.
  deploy.write_stdin("go\n");
  const auto code = deploy.wait_exit(patience(milliseconds(15000)));
  REQUIRE(code);
  CHECK(*code != 0);
  const job_events done(deploy.out());
  CHECK(top_printed(deploy.out(), "lost C:"));
  for (const auto* name : {"A", "B"}) {
    CAPTURE(name);
    const auto pid = spawned_pid(deploy.out(), name);
    REQUIRE(!pid.empty());
    const auto exit_of = done.exit_of(pid);
    REQUIRE(exit_of);
    CHECK(exit_of->status == 0);
  }
  CHECK(cluster.wait_for_status(
      [](const cluster_status& s) { return s.process_count() == 0 && s.jobs == 0; },
      milliseconds(5000)));
}
