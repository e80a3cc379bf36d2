// A node holds each process to the memory it asked for (a cgroup, or the resident-memory watcher
// where there is none): the hog is killed, its neighbours on the same node are not.
#include "fixture/job_events.hpp"
#include "fixture/local_cluster.hpp"
#include "fixture/patience.hpp"

#include <doctest/doctest.h>

using namespace cluster_test;

TEST_CASE("a memory hog is stopped while its neighbours finish") {
  local_cluster cluster;
  INFO(cluster.diagnostics());
  auto deploy = cluster.deploy({"memory_hog"});
  const auto code = deploy.wait_exit(milliseconds(30000));
  INFO("deploy printed:\n" << deploy.out() << deploy.err());
  REQUIRE(code);

  const job_events events(deploy.out());
  const auto top = events.top();
  const auto hog = spawned_pid(deploy.out(), "hog");
  REQUIRE(!hog.empty());
  const auto hog_exit = events.exit_of(hog);
  REQUIRE(hog_exit);
  CHECK(hog_exit->signal == "SIGKILL");
  CHECK(hog_exit->reason.find("memory limit") != std::string::npos);
  CHECK(hog_exit->reason.find("64 MiB") != std::string::npos);
  CHECK(events.output_of(hog).find("survived") == std::string::npos);

  // The top process saw the hog go, and let the neighbours finish their work.
  CHECK(top_printed(deploy.out(), "hog gone:"));
  CHECK(top_printed(deploy.out(), "neighbours released"));
  int neighbours = 0;
  for (const auto& pid : events.processes()) {
    if (pid == top || pid == hog) continue;
    ++neighbours;
    CAPTURE(pid);
    const auto exit = events.exit_of(pid);
    REQUIRE(exit);
    CHECK(exit->status == 0);
    CHECK(events.output_of(pid).find("finished") != std::string::npos);
  }
  CHECK(neighbours == 2);
  const auto top_exit = events.exit_of(top);
  REQUIRE(top_exit);
  CHECK(top_exit->status == 0);
  // The job failed: one of its processes was killed. 128 + SIGKILL, as a shell reports it.
  CHECK(*code == 137);

  // The node goes on serving: its memory is free again, and the next job runs there.
  CHECK(cluster.wait_for_status(
      [](const cluster_status& s) { return s.nodes.at(0).mem_used == 0 && s.process_count() == 0; },
      milliseconds(5000)));
  auto next = cluster.deploy({"hello"});
  CHECK(next.wait_exit(patience(milliseconds(15000))) == 0);
}
