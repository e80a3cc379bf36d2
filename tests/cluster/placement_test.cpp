// Placement on a real cluster: first fit in the order of nodes.toml, waiting for room, refusing
// what can never fit. The programs are in programs/placement_modes.cpp.
#include "fixture/job_events.hpp"
#include "fixture/local_cluster.hpp"
#include "fixture/patience.hpp"

#include <doctest/doctest.h>

#include <map>
#include <string>
#include <thread>
#include <vector>

using namespace cluster_test;

namespace {

constexpr std::uint64_t MiB = 1024 * 1024;

// Waits until the top process printed a line that is, or starts with, prefix.
bool top_says(child_process& deploy, const std::string& prefix,
              milliseconds limit = patience(milliseconds(20000))) {
  return deploy.wait_for_output([&](const std::string& out) { return top_printed(out, prefix); },
                                limit);
}

// A held child (programs/placement_modes.cpp) named name said who it was and exited 0.
void check_held_child_finished(const std::string& deploy_out, const job_events& done,
                               const std::string& name) {
  const auto pid = spawned_pid(deploy_out, name);
  CAPTURE(name);
  CHECK(done.output_of(pid) == name + " " + pid + "\n");
  const auto exit = done.exit_of(pid);
  REQUIRE(exit);
  CHECK(exit->status == 0);
}

}  // namespace

TEST_CASE("placement spreads processes that only fit on different nodes") {
  local_cluster cluster;
  INFO(cluster.diagnostics());
  auto deploy = cluster.deploy({"spread"});
  REQUIRE_MESSAGE(top_says(deploy, "ready"), deploy.out() << deploy.err());

  const std::map<std::string, std::size_t> expected_node{{"A", 0}, {"B", 1}, {"C", 2}};
  const auto status = cluster.status();
  REQUIRE(status);
  const job_events events(deploy.out());
  CHECK(status->node_of(events.top()) == std::optional<std::size_t>(0));
  for (const auto& [name, node] : expected_node) {
    const auto pid = spawned_pid(deploy.out(), name);
    CAPTURE(name);
    REQUIRE(!pid.empty());
    CHECK(status->node_of(pid) == std::optional<std::size_t>(node));
  }
  // What status says each node holds: the top process's 64 MiB and A's 1536 MiB on the first.
  CHECK(status->nodes.at(0).mem_used == 1600 * MiB);
  CHECK(status->nodes.at(1).mem_used == 900 * MiB);
  CHECK(status->nodes.at(2).mem_used == 450 * MiB);

  deploy.write_stdin("go\n");
  CHECK(deploy.wait_exit(patience(milliseconds(15000))) == 0);
  const job_events done(deploy.out());
  CHECK(done.processes().size() == 4);
  for (const auto& [name, node] : expected_node)
    check_held_child_finished(deploy.out(), done, name);
  // Everything the job held is given back.
  CHECK(cluster.wait_for_status(
      [](const cluster_status& s) {
        for (const auto& n : s.nodes)
          if (n.mem_used != 0 || n.cpu_used != 0) return false;
        return s.process_count() == 0 && s.jobs == 0;
      },
      milliseconds(5000)));
}

TEST_CASE("try_spawn refuses while the cluster is full, and spawn waits for room, then succeeds") {
  local_cluster cluster;
  INFO(cluster.diagnostics());
  auto deploy = cluster.deploy({"capacity"});
  REQUIRE_MESSAGE(top_says(deploy, "waiting"), deploy.out() << deploy.err());

  const auto refused = line_starting(top_output(deploy.out()), "try_spawn");
  REQUIRE(refused.size() >= 3);
  CHECK(refused[1] == "refused");
  CHECK(refused[2] == "no_capacity:");
  const auto f3 = spawned_pid(deploy.out(), "F3");

  // The spawn waits: for as long as nothing frees room, nothing is started.
  std::this_thread::sleep_for(milliseconds(700));
  const auto full = cluster.status();
  REQUIRE(full);
  CHECK(full->process_count() == 4);  // the top process and F1-F3
  for (const auto& node : full->nodes) CHECK(node.cpu_used == node.cpu_total);
  CHECK(!top_printed(deploy.out(), "spawned waiter"));

  // F3 leaves the third node: the waiting spawn takes its place there.
  deploy.write_stdin("free\n");
  REQUIRE_MESSAGE(top_says(deploy, "spawned waiter", milliseconds(10000)), deploy.out()
                                                                               << deploy.err());
  CHECK(deploy.wait_exit(patience(milliseconds(15000))) == 0);
  const job_events done(deploy.out());
  const auto waiter = spawned_pid(deploy.out(), "waiter");
  REQUIRE(!waiter.empty());
  CHECK(done.output_of(waiter) == "waiter " + waiter + "\n");
  const auto f3_exit = done.index_of("exit", f3);
  const auto waiter_spawn = done.index_of("spawn", waiter);
  REQUIRE(f3_exit);
  REQUIRE(waiter_spawn);
  CHECK(*f3_exit < *waiter_spawn);
  for (const auto& pid : done.processes()) {
    CAPTURE(pid);
    const auto exit = done.exit_of(pid);
    REQUIRE(exit);
    CHECK(exit->status == 0);
  }
}

TEST_CASE("a process larger than every node never fits: try_spawn and spawn refuse at once") {
  local_cluster cluster;
  INFO(cluster.diagnostics());
  SUBCASE("a spawned process") {
    auto deploy = cluster.deploy({"never_fits"});
    const auto code = deploy.wait_exit(patience(milliseconds(20000)));
    const auto out = top_output(deploy.out());
    INFO(out);
    CHECK(code == 0);
    for (const auto* what : {"memory", "cores"}) {
      CAPTURE(what);
      // "try_spawn memory refused never_fits: ...", "spawn memory threw never_fits: ..."
      const auto tried = line_starting(out, std::string("try_spawn ") + what);
      const auto thrown = line_starting(out, std::string("spawn ") + what);
      REQUIRE(tried.size() >= 4);
      REQUIRE(thrown.size() >= 4);
      CHECK(tried[2] == "refused");
      CHECK(tried[3] == "never_fits:");
      CHECK(thrown[2] == "threw");
      CHECK(thrown[3] == "never_fits:");
    }
    CHECK(out.find("ask for less") != std::string::npos);
    // Only the top process ever ran.
    CHECK(job_events(deploy.out()).processes().size() == 1);
  }
  SUBCASE("the top process itself") {
    auto deploy = cluster.deploy({"huge_top"});
    const auto code = deploy.wait_exit(patience(milliseconds(20000)));
    CHECK(code != 0);
    CHECK(code != std::nullopt);
    const job_events events(deploy.out());
    CHECK(events.processes().empty());
    REQUIRE(events.errors().size() == 1);
    CHECK(events.errors().front().find("can ever hold") != std::string::npos);
  }
}

TEST_CASE("a job spreads over fifty fabric daemons under one master") {
  // Fifty daemons on 127.0.0.21-70, each with one core to spare (the first has two: the top
  // process takes a sixteenth of one), so that the job's fifty one-core children land one per node.
  // Under the sanitizers the program is a 40 MB binary that every node receives, hashes and
  // stores, about 1.7 s each on two cores: eight nodes there.
#ifdef CONSTELLATION_SANITIZED
  constexpr std::size_t nodes = 8;
#else
  constexpr std::size_t nodes = 50;
#endif
  cluster_layout layout;
  for (std::size_t k = 0; k < nodes; ++k)
    layout.nodes.push_back(
        {"127.0.0." + std::to_string(21 + k), "256 MiB", k == 0 ? "2" : "1", {}});
  local_cluster cluster(layout);
  INFO(cluster.diagnostics());
  auto deploy = cluster.deploy({"fan_out", std::to_string(nodes)});
  REQUIRE_MESSAGE(top_says(deploy, "ready", patience(milliseconds(40000))), deploy.out()
                                                                                << deploy.err());

  const auto status = cluster.status();
  REQUIRE(status);
  REQUIRE(status->nodes.size() == nodes);
  std::vector<std::size_t> children_on(nodes, 0);
  for (std::size_t i = 0; i < nodes; ++i) {
    const auto pid = spawned_pid(deploy.out(), "W" + std::to_string(i));
    CAPTURE(i);
    REQUIRE(!pid.empty());
    const auto node = status->node_of(pid);
    REQUIRE(node);
    ++children_on.at(*node);
  }
  for (std::size_t k = 0; k < nodes; ++k) {
    CAPTURE(k);
    CHECK(children_on[k] == 1);
  }
  CHECK(status->process_count() == nodes + 1);

  deploy.write_stdin("go\n");
  CHECK(deploy.wait_exit(patience(milliseconds(20000))) == 0);
  const job_events done(deploy.out());
  CHECK(done.processes().size() == nodes + 1);
  for (std::size_t i = 0; i < nodes; ++i)
    check_held_child_finished(deploy.out(), done, "W" + std::to_string(i));
  CHECK(cluster.wait_for_status(
      [](const cluster_status& s) { return s.process_count() == 0 && s.jobs == 0; },
      milliseconds(10000)));
}
