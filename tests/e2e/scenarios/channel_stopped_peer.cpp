// A send to a process of the job that is stopped (SIGSTOP) and has no link up yet: the stopped
// process's kernel accepts the connection but nobody answers the handshake. The sender must not
// wait for ever: after the link setup bound (shortened here by CONSTELLATION_LINK_SETUP_BOUND_MS)
// send() throws channel_error naming the peer. The stopped process then goes on and exits.
#include "scenario.hpp"

#include <constellation/constellation.hpp>

#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <iostream>
#include <string>
#include <thread>

using namespace constellation::literals;
using namespace std::chrono_literals;

namespace {

// Tells the parent its system pid over a link of its own, then stops itself.
void stopper(constellation::pid parent) {
  constellation::sender<long>(parent).send(static_cast<long>(::getpid()));
  ::raise(SIGSTOP);
}

// Sends to the stopped process; no link between the two exists before.
void prober(constellation::pid parent, constellation::pid stopped) {
  try {
    constellation::sender<int>(stopped).send(1);
    std::cout << "send returned" << std::endl;
  } catch (const constellation::channel_error& e) {
    std::string what = e.what();
    const std::string name = stopped.to_string();
    const auto at = what.find(name);
    if (at != std::string::npos) what.replace(at, name.size(), "<stopped>");
    std::cout << "send threw " << constellation::to_string(e.reason()) << ": " << what << std::endl;
  }
  constellation::sender<int>(parent).send(0);
}

}  // namespace

CONSTELLATION_SCENARIO(channel_stopped_peer) {
  const auto stopped = constellation::spawn({.mem = 64_MiB, .cpu = 0.1}, stopper);
  const long system_pid = constellation::receiver<long>(stopped).recv();
  e2e::wait_until_stopped(system_pid);
  const auto probe = constellation::spawn({.mem = 64_MiB, .cpu = 0.1}, prober, stopped);
  constellation::receiver<int>(probe).recv();
  ::kill(static_cast<pid_t>(system_pid), SIGCONT);
  std::cout << "continued the stopped process" << std::endl;
  // Outlive it: it was stopped before the confirmation of its message reached it, and reads it
  // only now; were this process gone first, it would rightly warn that nothing confirmed it.
  while (constellation::status(stopped) == constellation::process_status::running)
    std::this_thread::sleep_for(10ms);
  return 0;
}
