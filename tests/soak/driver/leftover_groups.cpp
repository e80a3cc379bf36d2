#include "leftover_groups.hpp"

#include <filesystem>
#include <fstream>
#include <system_error>

namespace soak {

namespace fs = std::filesystem;

std::set<std::string> process_groups() {
  // A node makes its groups under a "constellation" group beside its own: the cluster's daemons
  // are this driver's children, in its groups. cgroup v2 has one hierarchy at the mount, v1 one
  // per controller beneath it; /proc/self/cgroup names this process's group in each.
  std::set<fs::path> own{"/"};
  std::ifstream cgroup("/proc/self/cgroup");
  for (std::string line; std::getline(cgroup, line);)
    if (const auto colon = line.find(':', line.find(':') + 1); colon != std::string::npos)
      own.insert(line.substr(colon + 1));
  std::vector<fs::path> hierarchies{"/sys/fs/cgroup"};
  std::error_code ec;
  for (const auto& h : fs::directory_iterator("/sys/fs/cgroup", ec))
    if (h.is_directory(ec)) hierarchies.push_back(h.path());
  std::set<std::string> groups;
  for (const auto& h : hierarchies)
    for (const auto& group : own) {
      std::error_code missing;
      const auto parent = h / group.relative_path() / "constellation";
      for (const auto& g : fs::directory_iterator(parent, missing))
        if (g.is_directory(missing)) groups.insert(g.path().string());
    }
  return groups;
}

std::vector<std::string> groups_left(const std::set<std::string>& before,
                                     const std::set<std::string>& now,
                                     const std::set<std::string>& pids) {
  std::vector<std::string> left;
  for (const auto& g : now) {
    if (before.contains(g)) continue;
    const auto name = fs::path(g).filename().string();
    const auto dash = name.find('-');
    if (dash != std::string::npos && pids.contains(name.substr(0, dash))) left.push_back(g);
  }
  return left;
}

}  // namespace soak
