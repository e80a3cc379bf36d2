// Ctrl-C in the terminal (SIGINT to the whole process group) ends the whole tree.
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

CONSTELLATION_SCENARIO(ctrl_c_leaves_nothing) {
  constellation::spawn({}, sleeper);
  constellation::spawn({}, sleeper_with_child);
  ready_then_sleep();
}
