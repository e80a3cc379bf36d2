// A channel from the parent to its child: three strings arrive in the order they were sent.
#include "scenario.hpp"

#include <constellation/constellation.hpp>

#include <iostream>
#include <string>

namespace {

void child(constellation::pid parent) {
  constellation::receiver<std::string> from_parent(parent);
  for (int i = 0; i < 3; ++i) std::cout << "got " << from_parent.recv() << std::endl;
}

}  // namespace

CONSTELLATION_SCENARIO(channel_a_parent_to_child) {
  const auto c = constellation::spawn({}, child);
  constellation::sender<std::string> to_child(c);
  for (const char* s : {"alpha", "beta", "gamma"}) to_child.send(s);
  std::cout << "sent 3" << std::endl;
  return 0;
}
