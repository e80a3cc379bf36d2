// SIGTERM to the bridge ends even a process that ignores the polite signals (SIGTERM, and SIGHUP,
// which a deployed job gets when its client vanishes): it is killed after a grace period.
#include "scenario.hpp"

#include <constellation/constellation.hpp>

#include <signal.h>
#include <unistd.h>

#include <iostream>

namespace {

[[noreturn]] void ready_then_sleep() {
  std::cout << "ready" << std::endl;
  for (;;) ::pause();
}

void stubborn(constellation::pid) {
  ::signal(SIGTERM, SIG_IGN);
  ::signal(SIGHUP, SIG_IGN);
  ready_then_sleep();
}

}  // namespace

CONSTELLATION_SCENARIO(terminate_stubborn_process) {
  constellation::spawn({}, stubborn);
  ready_then_sleep();
}
