// spawn() and try_spawn() before init() fail at once, saying to call init() first.
#include "scenario.hpp"

#include <constellation/constellation.hpp>

#include <iostream>

namespace {

void child(constellation::pid) {}

}  // namespace

CONSTELLATION_SCENARIO_NO_INIT(spawn_before_init) {
  try {
    constellation::spawn({}, child);
    std::cout << "spawn() returned\n";
    return 1;
  } catch (const constellation::spawn_error& e) {
    std::cout << "spawn: " << constellation::to_string(e.reason()) << ": " << e.what() << "\n";
  }
  const auto tried = constellation::try_spawn({}, child);
  if (tried) {
    std::cout << "try_spawn() returned a pid\n";
    return 1;
  }
  std::cout << "try_spawn: " << constellation::to_string(tried.error().reason()) << ": "
            << tried.error().what() << "\n";
  return 0;
}
