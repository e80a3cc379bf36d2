// Misuse of channel ends kills only the process that misuses them: a sender to one's own pid, and
// a second live sender to the same pid, each throw std::logic_error (uncaught: SIGABRT, with the
// message on stderr); the parent and a well-behaved child are unaffected.
#include "scenario.hpp"

#include <constellation/constellation.hpp>

#include <iostream>
#include <string>

namespace {

void to_own_pid(constellation::pid) {
  std::cout << "opening a sender to my own pid" << std::endl;
  constellation::sender<int> self(constellation::this_process::pid());
  std::cout << "not reached" << std::endl;
}

void two_senders(constellation::pid parent) {
  constellation::sender<int> first(parent);
  std::cout << "opening a second sender to the parent" << std::endl;
  constellation::sender<int> second(parent);
  std::cout << "not reached" << std::endl;
}

void well_behaved(constellation::pid parent) {
  constellation::sender<std::string> to_parent(parent);
  to_parent.send("still fine");
}

}  // namespace

CONSTELLATION_SCENARIO(channel_a_own_pid_and_duplicate) {
  constellation::spawn({}, to_own_pid);
  constellation::spawn({}, two_senders);
  const auto good = constellation::spawn({}, well_behaved);
  constellation::receiver<std::string> from_good(good);
  std::cout << "parent got: " << from_good.recv() << std::endl;
  return 0;
}
