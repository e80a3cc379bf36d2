// Spawned processes spawn in turn: three levels below the top, each knowing its own pid and its
// parent's.
#include "scenario.hpp"

#include <constellation/constellation.hpp>

#include <iostream>

namespace {

void level(constellation::pid parent, int depth) {
  std::cout << "level " << depth << " is " << constellation::this_process::pid() << ", child of "
            << parent << std::endl;
  if (depth < 3) constellation::spawn({}, level, depth + 1);
}

}  // namespace

CONSTELLATION_SCENARIO(nested_spawns) {
  std::cout << "top is " << constellation::this_process::pid() << std::endl;
  constellation::spawn({}, level, 1);
  return 0;
}
