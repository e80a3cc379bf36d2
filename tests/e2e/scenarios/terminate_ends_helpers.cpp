// SIGTERM to the bridge also ends processes that user code started itself, without spawn(): a
// helper forked by a spawned process, as system() or a library might start one.
#include "scenario.hpp"

#include <constellation/constellation.hpp>

#include <unistd.h>

#include <iostream>

namespace {

[[noreturn]] void ready_then_sleep(const char* who) {
  std::cout << who << " ready" << std::endl;
  for (;;) ::pause();
}

void with_helper(constellation::pid) {
  std::cout.flush();
  const pid_t helper = ::fork();
  if (helper == 0) ready_then_sleep("helper");
  ready_then_sleep("child");
}

}  // namespace

CONSTELLATION_SCENARIO(terminate_ends_helpers) {
  constellation::spawn({}, with_helper);
  ready_then_sleep("top");
}
