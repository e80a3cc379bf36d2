#pragma once
// Processes that say "ready" and then sleep until they are ended: for the scenarios that check
// how a whole tree is ended (Ctrl-C, SIGTERM) and that nothing of it is left.

#include <constellation/constellation.hpp>

#include <unistd.h>

#include <iostream>

namespace e2e::sleepers {

[[noreturn]] inline void ready_then_sleep() {
  std::cout << "ready" << std::endl;
  for (;;) ::pause();
}

inline void sleeper(constellation::pid) {
  ready_then_sleep();
}

// A sleeper with a sleeping child of its own: the tree has two levels below the top.
inline void sleeper_with_child(constellation::pid) {
  constellation::spawn({}, sleeper);
  ready_then_sleep();
}

}  // namespace e2e::sleepers
