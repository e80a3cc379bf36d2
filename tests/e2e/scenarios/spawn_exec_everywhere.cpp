// CONSTELLATION_SPAWN=exec: no fork server; every process of the job, at every level, is executed
// afresh.
#include "scenario.hpp"
#include "started_by.hpp"

#include <constellation/constellation.hpp>

#include <iostream>

namespace {

void level(constellation::pid, int depth) {
  std::cout << "level " << depth << ": " << e2e::started_by() << "\n";
  if (depth < 2) constellation::spawn({}, level, depth + 1);
}

}  // namespace

CONSTELLATION_SCENARIO(spawn_exec_everywhere) {
  constellation::spawn({}, level, 1);
  constellation::spawn({}, level, 2);
  return 0;
}
