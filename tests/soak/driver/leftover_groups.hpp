#pragma once
// The cgroups a node makes for each process it runs (named "<pid>-<monitor's OS pid>" under a
// "constellation" group of each hierarchy) must go with the process. Other runs on the machine
// make and may leave groups of their own, so the soak looks only for groups that appeared during
// its run and are named for one of its own processes.

#include <set>
#include <string>
#include <vector>

namespace soak {

// Every process group there is now under a "constellation" group of a hierarchy, at its root or
// beside this process's own group, as full paths.
std::set<std::string> process_groups();

// Those of `now` not in `before` whose name starts with one of `pids` and a '-'.
std::vector<std::string> groups_left(const std::set<std::string>& before,
                                     const std::set<std::string>& now,
                                     const std::set<std::string>& pids);

}  // namespace soak
