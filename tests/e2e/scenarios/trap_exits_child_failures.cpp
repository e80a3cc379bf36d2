// A supervising parent: after this_process::trap_exits(), a child killed by SIGKILL and a child
// that exits 3 do not fail the job. The parent learns of each failure from its channels (died,
// exited) and from status(); the bridge still shows both ends, and the command exits 0.
#include "scenario.hpp"

#include <constellation/constellation.hpp>

#include <chrono>
#include <csignal>
#include <cstdlib>
#include <iostream>
#include <thread>

namespace {

void killed(constellation::pid parent) {
  constellation::sender<int>(parent).send(7);
  constellation::receiver<int>(parent).recv();  // the parent has our 7: the link is up both ways
  std::raise(SIGKILL);
}

void exits_3(constellation::pid parent) {
  constellation::sender<int>(parent).send(8);
  std::exit(3);
}

// The agent hears of an end a moment after a channel does: ask until it has.
constellation::process_status settled_status(const constellation::pid& p) {
  auto status = constellation::status(p);
  while (status == constellation::process_status::running) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    status = constellation::status(p);
  }
  return status;
}

const char* name(constellation::process_status s) {
  switch (s) {
    case constellation::process_status::running:
      return "running";
    case constellation::process_status::exited:
      return "exited";
    case constellation::process_status::died:
      return "died";
    case constellation::process_status::unknown:
      return "unknown";
  }
  return "?";
}

}  // namespace

CONSTELLATION_SCENARIO(trap_exits_child_failures) {
  constellation::this_process::trap_exits();
  const auto victim = constellation::spawn({}, killed);
  constellation::receiver<int> from_victim(victim);
  std::cout << "victim sent " << from_victim.recv() << std::endl;
  std::cout << "victim is " << name(constellation::status(victim)) << std::endl;
  constellation::sender<int>(victim).send(0);
  try {
    from_victim.recv();
  } catch (const constellation::channel_error& e) {
    std::cout << "recv from the victim threw " << constellation::to_string(e.reason()) << std::endl;
  }
  std::cout << "status of the victim: " << name(settled_status(victim)) << std::endl;

  const auto quitter = constellation::spawn({}, exits_3);
  constellation::receiver<int> from_quitter(quitter);
  std::cout << "quitter sent " << from_quitter.recv() << std::endl;
  try {
    from_quitter.recv();
  } catch (const constellation::channel_error& e) {
    std::cout << "recv from the quitter threw " << constellation::to_string(e.reason())
              << std::endl;
  }
  std::cout << "status of the quitter: " << name(settled_status(quitter)) << std::endl;
  std::cout << "status of a stranger: " << name(constellation::status(constellation::pid{}))
            << std::endl;
  return 0;
}
