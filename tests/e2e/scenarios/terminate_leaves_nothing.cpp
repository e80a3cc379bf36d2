// SIGTERM to the bridge ends the whole tree: processes that would sleep forever, at two depths.
// The runner sends SIGTERM once every process has printed "ready", then checks that no process of
// the run is left.
#include "scenario.hpp"

#include <constellation/constellation.hpp>

#include <unistd.h>

#include <iostream>

namespace {

[[noreturn]] void ready_then_sleep() {
  std::cout << "ready" << std::endl;
  for (;;) ::pause();
}

void sleeper(constellation::pid) {
  ready_then_sleep();
}

void sleeper_with_child(constellation::pid) {
  constellation::spawn({}, sleeper);
  ready_then_sleep();
}

}  // namespace

CONSTELLATION_SCENARIO(terminate_leaves_nothing) {
  constellation::spawn({}, sleeper);
  constellation::spawn({}, sleeper);
  constellation::spawn({}, sleeper_with_child);
  ready_then_sleep();
}
