// When a process's monitor is killed (the OOM killer, kill -9), nothing of the process outlives it:
// not the helpers the process started, even one that left its process group, nor its cgroups.
#include "fixture/job_events.hpp"
#include "fixture/local_cluster.hpp"
#include "fixture/patience.hpp"

#include <doctest/doctest.h>

#include <signal.h>
#include <sys/types.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

using namespace cluster_test;

namespace {

bool alive(pid_t p) {
  std::ifstream stat("/proc/" + std::to_string(p) + "/stat");
  std::string pid, name, state;
  // A zombie has ended; only its parent's wait is missing.
  return stat >> pid >> name >> state && state != "Z";
}

// The directory of p's group in the v1 memory hierarchy, where the process limits live on this
// kind of machine; empty when p has none there.
std::string memory_group_dir(pid_t p) {
  std::ifstream in("/proc/" + std::to_string(p) + "/cgroup");
  std::string line;
  while (std::getline(in, line)) {
    const auto first = line.find(':'), second = line.find(':', first + 1);
    if (second != std::string::npos && line.substr(first + 1, second - first - 1) == "memory")
      return "/sys/fs/cgroup/memory" + line.substr(second + 1);
  }
  return {};
}

}  // namespace

TEST_CASE("a killed monitor takes its process's helpers and cgroups along") {
  local_cluster cluster;
  INFO(cluster.diagnostics());
  auto deploy = cluster.deploy({"abandoned_helpers"});
  std::string h;
  pid_t in_group = 0, own_session = 0, monitor = 0;
  REQUIRE_MESSAGE(
      deploy.wait_for_output(
          [&](const std::string& out) {
            h = spawned_pid(out, "H");
            if (h.empty()) return false;
            std::istringstream line(job_events(out).output_of(h));
            std::string helpers, word;
            return static_cast<bool>(line >> helpers >> in_group >> own_session >> word >> monitor);
          },
          patience(milliseconds(20000))),
      deploy.out() << deploy.err());
  REQUIRE(alive(in_group));
  REQUIRE(alive(own_session));
  // The process's own group, if the node could make one: the helpers are in it too.
  const std::string group = memory_group_dir(own_session);
  const bool limited = group.find("/constellation/") != std::string::npos;
  if (!limited) MESSAGE("no memory cgroup here: only the helper in the process group is checked");

  REQUIRE(::kill(monitor, SIGKILL) == 0);
  CHECK(deploy.wait_for_output(
      [&](const std::string& out) { return job_events(out).exit_of(h).has_value(); },
      milliseconds(10000)));
  const auto exit = job_events(deploy.out()).exit_of(h);
  REQUIRE(exit);
  CHECK(exit->signal == "SIGKILL");
  CHECK(exit->reason.find("monitor was killed") != std::string::npos);
  CHECK(eventually([&] { return !alive(in_group); }, milliseconds(5000)));
  if (limited) {
    CHECK(eventually([&] { return !alive(own_session); }, milliseconds(5000)));
    CHECK(eventually([&] { return !std::filesystem::exists(group); }, milliseconds(5000)));
  }
  deploy.write_stdin("done\n");
  CHECK(deploy.wait_exit(patience(milliseconds(15000))).has_value());
}
