// Where a node puts the cgroups of the processes it runs: inside the daemon's own group, as a
// service manager that delegates it (systemd's Delegate=yes) expects, so that the service's
// accounting covers its jobs and stopping the service takes them along. Each daemon is started in
// a group of the test's own, as systemd starts each service in its own group.
#include "fixture/job_events.hpp"
#include "fixture/local_cluster.hpp"
#include "fixture/patience.hpp"
#include "fixture/process_scan.hpp"

#include <doctest/doctest.h>

#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

using namespace cluster_test;
namespace fs = std::filesystem;

namespace {

// The memory controller's hierarchy as the tests can use it: a v1 hierarchy mounted with it, or the
// v2 hierarchy whose root hands it down.
struct memory_hierarchy {
  fs::path mount;
  bool v2 = false;
};

std::string read_text(const fs::path& file) {
  std::ifstream in(file);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

bool lists(const std::string& list, const std::string& word, char separator) {
  std::istringstream in(list);
  std::string item;
  while (std::getline(in, item, separator))
    if (item == word || item == word + "\n") return true;
  return false;
}

std::optional<memory_hierarchy> find_memory_hierarchy() {
  std::ifstream in("/proc/self/mountinfo");
  std::string line;
  while (std::getline(in, line)) {
    const auto dash = line.find(" - ");
    if (dash == std::string::npos) continue;
    std::istringstream before(line.substr(0, dash)), after(line.substr(dash + 3));
    std::string id, parent, device, root, mount, type, source, options;
    before >> id >> parent >> device >> root >> mount;
    after >> type >> source >> options;
    if (root != "/") continue;  // a part of a hierarchy: paths in /proc/PID/cgroup would not match
    if (type == "cgroup" && lists(options, "memory", ',')) return memory_hierarchy{mount, false};
    if (type == "cgroup2" &&
        lists(read_text(fs::path(mount) / "cgroup.subtree_control"), "memory", ' '))
      return memory_hierarchy{mount, true};
  }
  return std::nullopt;
}

// pid's group in the hierarchy, as a path within it ("/a/b"); empty when gone.
std::string group_of(pid_t pid, const memory_hierarchy& h) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/cgroup");
  std::string line;
  while (std::getline(in, line)) {
    const auto first = line.find(':'), second = line.find(':', first + 1);
    if (second == std::string::npos) continue;
    const auto controllers = line.substr(first + 1, second - first - 1);
    if (h.v2 ? controllers.empty() : lists(controllers, "memory", ','))
      return line.substr(second + 1);
  }
  return {};
}

// Removes a group and the groups under it, deepest first (a group directory goes with rmdir).
void remove_groups(const fs::path& top) {
  std::vector<fs::path> dirs{top};
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(top, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec))
    if (it->is_directory(ec)) dirs.push_back(it->path());
  std::sort(dirs.begin(), dirs.end(), [](const fs::path& a, const fs::path& b) {
    return std::distance(a.begin(), a.end()) > std::distance(b.begin(), b.end());
  });
  for (const auto& dir : dirs) ::rmdir(dir.c_str());
}

}  // namespace

TEST_CASE("a node makes its processes' cgroups inside the group the daemon was started in") {
  if (::geteuid() != 0) {
    MESSAGE("skipped: making cgroups needs root");
    return;
  }
  const auto h = find_memory_hierarchy();
  if (!h) {
    MESSAGE("skipped: no cgroup hierarchy offers the memory controller");
    return;
  }
  // The test's groups: under the test's own group in v1; at the root in v2, where a group hands
  // controllers down only while it holds no process (the test's own group holds the test).
  const std::string base_in_hierarchy = (h->v2 ? std::string() : group_of(::getpid(), *h)) +
                                        "/constellation-test-" + std::to_string(::getpid());
  const fs::path base = h->mount / fs::path(base_in_hierarchy).relative_path();
  remove_groups(base);
  REQUIRE_MESSAGE(fs::create_directory(base), base);
  if (h->v2) {
    // As a slice hands its services the controllers: memory, and cpu where the root offers it.
    std::ofstream(base / "cgroup.subtree_control") << "+memory";
    std::ofstream(base / "cgroup.subtree_control") << "+cpu";
  }

  auto layout = loopback_layout();
  for (std::size_t k = 0; k < layout.nodes.size(); ++k) {
    const fs::path group = base / ("node" + std::to_string(k));
    fs::create_directory(group);
    layout.nodes[k].daemon_prefix = {
        "/bin/sh", "-c", "echo $$ > " + (group / "cgroup.procs").string() + " && exec \"$@\"",
        "sh"};
  }
  {
    local_cluster cluster(layout);
    INFO(cluster.diagnostics());
    auto deploy = cluster.deploy({"spread"});
    REQUIRE_MESSAGE(
        deploy.wait_for_output([](const std::string& out) { return top_printed(out, "ready"); },
                               patience(milliseconds(20000))),
        deploy.out() << deploy.err());

    // Every deployed process (monitors and the job's four processes) sits in its node's group;
    // the job's processes each in a group of their own under it, where their limits are. A spawn
    // returns once the monitor has forked, and the forked process enters its group before it runs
    // anything of the job's, so a process may still be on its way in: it is given a moment.
    const auto own_group_depth = [&](const std::string& group) {
      // nodeK/constellation/NAME (v1) or nodeK/processes/NAME (v2): the process's own group.
      const auto within = fs::path(group).lexically_relative(base_in_hierarchy);
      return std::distance(within.begin(), within.end()) == 3;
    };
    const auto count_limited = [&] {
      std::size_t n = 0;
      for (pid_t p : cluster.deployed_processes()) n += own_group_depth(group_of(p, *h)) ? 1 : 0;
      return n;
    };
    eventually([&] { return count_limited() == 4; }, milliseconds(5000));
    std::size_t limited = 0;
    for (pid_t p : cluster.deployed_processes()) {
      const auto group = group_of(p, *h);
      if (group.empty()) continue;  // ended meanwhile
      CAPTURE(describe_process(p));
      CAPTURE(group);
      CHECK(group.starts_with(base_in_hierarchy + "/node"));
      if (own_group_depth(group)) {
        ++limited;
        const auto limit = read_text(h->mount / fs::path(group).relative_path() /
                                     (h->v2 ? "memory.max" : "memory.limit_in_bytes"));
        // A limit of the process's own size, not the unlimited default ("max", or 2^63 rounded).
        const auto bytes = std::strtoull(limit.c_str(), nullptr, 10);
        CHECK(bytes >= 64ULL << 20);
        CHECK(bytes <= 2048ULL << 20);
      }
    }
    CHECK(limited == 4);

    deploy.write_stdin("go\n");
    CHECK(deploy.wait_exit(patience(milliseconds(15000))) == 0);
    // The monitors removed their processes' groups.
    const auto groups_left = [&] {
      std::string left;
      for (std::size_t k = 0; k < layout.nodes.size(); ++k) {
        const fs::path parent =
            base / ("node" + std::to_string(k)) / (h->v2 ? "processes" : "constellation");
        std::error_code ec;
        for (const auto& entry : fs::directory_iterator(parent, ec))
          if (entry.is_directory()) left += entry.path().string() + "\n";
      }
      return left;
    };
    eventually([&] { return groups_left().empty(); }, milliseconds(5000));
    CHECK_MESSAGE(groups_left().empty(), groups_left());
  }
  remove_groups(base);
  CHECK_FALSE(fs::exists(base));
}
