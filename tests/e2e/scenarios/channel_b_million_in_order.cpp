// A child sends 1,000,000 small ints, 0..999999, to its parent, which receives every one, in order.
// The parent is itself spawned, so that both ends ask for the CPU they use (deployed, a process
// gets the CPU it asked for, and the top process asks for 1/16 of a core).
#include "scenario.hpp"

#include <constellation/constellation.hpp>

#include <cstdlib>
#include <iostream>

using namespace constellation::literals;

namespace {

constexpr int count = 1'000'000;

void send_million(constellation::pid parent) {
  constellation::sender<int> out(parent);
  for (int i = 0; i < count; ++i) out.send(i);
  std::cout << "sent " << count << std::endl;
}

int receive_million() {
  const auto child = constellation::spawn({.mem = 64_MiB, .cpu = 0.5}, send_million);
  constellation::receiver<int> in(child);
  for (int i = 0; i < count; ++i) {
    const int value = in.recv();
    if (value != i) {
      std::cout << "message " << i << " is " << value << std::endl;
      return 1;
    }
  }
  // Nothing more: the child's exit ends the channel.
  try {
    const int extra = in.recv();
    std::cout << "an extra message " << extra << std::endl;
    return 1;
  } catch (const constellation::channel_error& e) {
    if (e.reason() != constellation::channel_errc::exited) {
      std::cout << "ended with " << e.what() << std::endl;
      return 1;
    }
  }
  std::cout << count << " in order" << std::endl;
  return 0;
}

void receiver_process(constellation::pid) {
  if (receive_million() != 0) std::exit(1);
}

}  // namespace

CONSTELLATION_SCENARIO(channel_b_million_in_order) {
  constellation::spawn({.mem = 64_MiB, .cpu = 0.5}, receiver_process);
  return 0;
}
