// A tree of processes: every process above the given depth spawns fan_out children, and each
// child reports the size of its subtree to its parent, so that counts flow back up to the top.
//
//   spawn_tree [depth [fan_out]]      default 3 2: 1 + 2 + 4 + 8 = 15 processes
#include <constellation/constellation.hpp>

#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

using constellation::pid;
using namespace constellation::literals;

constexpr constellation::resources node_resources{.mem = 16_MiB, .cpu = 0.1};
constexpr long max_processes = 500;

void node(pid parent, int depth, int max_depth, int fan_out);

// Spawns this node's children, if it has any, and returns the size of its subtree: itself and
// everything below. Children run concurrently; the receives block until each one reports.
long grow(int depth, int max_depth, int fan_out) {
  std::vector<pid> children;
  if (depth < max_depth)
    for (int i = 0; i < fan_out; ++i)
      children.push_back(constellation::spawn(node_resources, node, depth + 1, max_depth, fan_out));
  long size = 1;
  for (const pid& child : children) size += constellation::receiver<long>(child).recv();
  return size;
}

void node(pid parent, int depth, int max_depth, int fan_out) {
  std::cout << "process " << constellation::this_process::pid() << " at depth " << depth
            << ", child of " << parent << std::endl;
  constellation::sender<long>(parent).send(grow(depth, max_depth, fan_out));
}

// A full tree: fan_out^0 + fan_out^1 + ... + fan_out^max_depth processes.
long tree_size(int max_depth, int fan_out) {
  long size = 0, width = 1;
  for (int level = 0; level <= max_depth && size <= max_processes; ++level, width *= fan_out)
    size += width;
  return size;
}

int main(int argc, char** argv) {
  constellation::init();
  const int max_depth = argc > 1 ? std::atoi(argv[1]) : 3;
  const int fan_out = argc > 2 ? std::atoi(argv[2]) : 2;
  if (max_depth < 0 || fan_out < 1 || tree_size(max_depth, fan_out) > max_processes) {
    std::cerr << "usage: spawn_tree [depth [fan_out]], depth >= 0, fan_out >= 1, at most "
              << max_processes << " processes in all" << std::endl;
    return 2;
  }
  std::cout << "process " << constellation::this_process::pid() << " at depth 0 (the top)"
            << std::endl;
  const long total = grow(0, max_depth, fan_out);
  const long expected = tree_size(max_depth, fan_out);
  std::cout << "depth " << max_depth << ", fan-out " << fan_out << ": " << total << " processes"
            << (total == expected ? "" : " WRONG, expected " + std::to_string(expected))
            << std::endl;
  return total == expected ? 0 : 1;
}
