// Supervision is decided at spawn time: a child spawned while trap_exits() is on does not fail
// the job, one spawned after trap_exits(false) does, as any child without a supervising parent:
// the command exits with the untrapped child's 5, although the trapped child's 3 came first.
#include "scenario.hpp"

#include <constellation/constellation.hpp>

#include <chrono>
#include <cstdlib>
#include <iostream>
#include <thread>

namespace {

void exits_with(constellation::pid, int code) {
  std::exit(code);
}

// Returns once the node agent has seen the child end.
void wait_for_end(const constellation::pid& child) {
  while (constellation::status(child) == constellation::process_status::running)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  std::cout << "child ended: "
            << (constellation::status(child) == constellation::process_status::exited) << std::endl;
}

}  // namespace

CONSTELLATION_SCENARIO(trap_exits_decided_at_spawn) {
  constellation::this_process::trap_exits();
  const auto trapped = constellation::spawn({}, exits_with, 3);
  constellation::this_process::trap_exits(false);
  wait_for_end(trapped);
  wait_for_end(constellation::spawn({}, exits_with, 5));
  return 0;
}
