// A channel from a child to its parent: the parent receives the child's values in order.
#include "scenario.hpp"

#include <constellation/constellation.hpp>

#include <iostream>

namespace {

void child(constellation::pid parent) {
  constellation::sender<int> to_parent(parent);
  for (int v : {10, 20, 30}) to_parent.send(v);
  std::cout << "child sent 3" << std::endl;
}

}  // namespace

CONSTELLATION_SCENARIO(channel_a_child_to_parent) {
  const auto c = constellation::spawn({}, child);
  constellation::receiver<int> from_child(c);
  for (int i = 0; i < 3; ++i) std::cout << "parent got " << from_child.recv() << std::endl;
  return 0;
}
