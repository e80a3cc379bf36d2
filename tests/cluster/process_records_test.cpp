// A node keeps a record of each process it ran while its job runs (status() of a process that
// ended answers from it), and forgets the job's records once the job is over: a daemon that runs
// job after job for months holds no more than its running jobs need.
#include "fixture/job_events.hpp"
#include "fixture/local_cluster.hpp"
#include "fixture/process_footprint.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <thread>

using namespace cluster_test;

namespace {

constexpr std::uint64_t MiB = 1024 * 1024;

// The least resident memory of pid over a second: a moment's buffer is not what is measured.
std::uint64_t quiet_resident(pid_t pid) {
  std::uint64_t least = resident_bytes(pid);
  for (int i = 0; i < 5; ++i) {
    std::this_thread::sleep_for(milliseconds(200));
    least = std::min(least, resident_bytes(pid));
  }
  return least;
}

void run_short_lived(const local_cluster& cluster, int count) {
  auto deploy = cluster.deploy({"short_lived", std::to_string(count)});
  REQUIRE_MESSAGE(deploy.wait_exit(milliseconds(60000)) == 0, deploy.out() << deploy.err());
  REQUIRE(top_printed(deploy.out(), "spawned " + std::to_string(count)));
}

}  // namespace

TEST_CASE("a node forgets the processes of a job once it is over") {
  local_cluster cluster;
  INFO(cluster.diagnostics());
  // The first jobs bring the binary into the caches and the allocator to its working size (some
  // 15 MiB more than a fresh daemon's, which the jobs after them do not add to).
  for (int job = 0; job < 2; ++job) run_short_lived(cluster, 150);
  const pid_t node = cluster.daemon_pid(0);  // where every process of these jobs runs
  const auto before = quiet_resident(node);
  for (int job = 0; job < 3; ++job) run_short_lived(cluster, 150);
  const auto after = quiet_resident(node);
  CAPTURE(before / 1024);
  CAPTURE(after / 1024);
  // A record kept per process, with its two connections' buffers, was some 100 KiB: 450
  // processes would hold about 40 MiB.
#ifdef CONSTELLATION_SANITIZED
  // ASan's allocator keeps what was freed: said, not held to (as in flow_control_test.cpp).
  if (after > before + 8 * MiB) MESSAGE("over the bound, under the sanitizers");
#else
  CHECK(after <= before + 8 * MiB);
#endif
}
