// A sender<int> to a receiver<std::string>: recv() throws channel_error type_mismatch, and its
// message names both types.
#include "scenario.hpp"

#include <constellation/constellation.hpp>

#include <iostream>
#include <string>

namespace {

void child(constellation::pid parent) {
  constellation::receiver<std::string> from_parent(parent);
  try {
    const std::string s = from_parent.recv();
    std::cout << "unexpectedly received " << s << std::endl;
  } catch (const constellation::channel_error& e) {
    std::cout << "reason "
              << (e.reason() == constellation::channel_errc::type_mismatch ? "type_mismatch"
                                                                           : "other")
              << std::endl;
    std::cout << "message: " << e.what() << std::endl;
  }
}

}  // namespace

CONSTELLATION_SCENARIO(channel_a_type_mismatch) {
  const auto c = constellation::spawn({}, child);
  constellation::sender<int> to_child(c);
  to_child.send(42);
  std::cout << "sent an int" << std::endl;
  return 0;
}
