#include "leftover_groups.hpp"

#include <filesystem>
#include <system_error>

namespace soak {

namespace fs = std::filesystem;

std::set<std::string> process_groups() {
  // cgroup v2 has one hierarchy at the mount; v1 one per controller beneath it. A daemon under a
  // delegated group keeps its groups elsewhere, but the test cluster's daemons run in ours.
  std::vector<fs::path> parents{"/sys/fs/cgroup/constellation"};
  std::error_code ec;
  for (const auto& h : fs::directory_iterator("/sys/fs/cgroup", ec))
    parents.push_back(h.path() / "constellation");
  std::set<std::string> groups;
  for (const auto& parent : parents) {
    std::error_code missing;
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
