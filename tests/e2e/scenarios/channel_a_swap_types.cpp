// Parent and child use a channel of ints, drop both ends, then open new ends of std::string in both
// directions: the new type is accepted and every direction keeps its order.
#include "scenario.hpp"

#include <constellation/constellation.hpp>

#include <iostream>
#include <string>

namespace {

void child(constellation::pid parent) {
  {
    constellation::receiver<int> ints(parent);
    for (int i = 0; i < 3; ++i) std::cout << "child int " << ints.recv() << std::endl;
  }
  constellation::receiver<std::string> from_parent(parent);
  constellation::sender<std::string> to_parent(parent);
  for (const char* s : {"c0", "c1", "c2"}) to_parent.send(s);
  for (int i = 0; i < 3; ++i) std::cout << "child string " << from_parent.recv() << std::endl;
}

}  // namespace

CONSTELLATION_SCENARIO(channel_a_swap_types) {
  const auto c = constellation::spawn({}, child);
  {
    constellation::sender<int> ints(c);
    for (int v : {1, 2, 3}) ints.send(v);
  }
  constellation::sender<std::string> to_child(c);
  constellation::receiver<std::string> from_child(c);
  for (const char* s : {"p0", "p1", "p2"}) to_child.send(s);
  for (int i = 0; i < 3; ++i) std::cout << "parent string " << from_child.recv() << std::endl;
  return 0;
}
