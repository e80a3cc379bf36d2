// A child sends 1000 ints and exits at once; the parent creates its receiver only a second later,
// and still receives all 1000 in order, then learns that the child exited.
#include "scenario.hpp"

#include <constellation/constellation.hpp>

#include <chrono>
#include <iostream>
#include <thread>

namespace {

constexpr int count = 1000;

void child(constellation::pid parent) {
  constellation::sender<int> to_parent(parent);
  for (int i = 0; i < count; ++i) to_parent.send(i);
  std::cout << "sent " << count << std::endl;
}

}  // namespace

CONSTELLATION_SCENARIO(channel_a_send_then_exit) {
  const auto c = constellation::spawn({}, child);
  std::this_thread::sleep_for(std::chrono::seconds(1));
  constellation::receiver<int> from_child(c);
  int in_order = 0;
  for (int i = 0; i < count; ++i) {
    const int v = from_child.recv();
    if (v == i)
      ++in_order;
    else
      std::cout << "message " << i << " was " << v << std::endl;
  }
  std::cout << "received " << in_order << " of " << count << " in order" << std::endl;
  try {
    const int extra = from_child.recv();
    std::cout << "unexpected extra message " << extra << std::endl;
  } catch (const constellation::channel_error& e) {
    std::cout << "then recv threw " << constellation::to_string(e.reason()) << std::endl;
  }
  return 0;
}
