// 100 request/reply round trips over a pair of channels; the parent checks every reply.
#include "scenario.hpp"

#include <constellation/constellation.hpp>

#include <iostream>

namespace {

constexpr int rounds = 100;

void server(constellation::pid parent) {
  constellation::receiver<int> requests(parent);
  constellation::sender<int> replies(parent);
  for (int i = 0; i < rounds; ++i) replies.send(requests.recv() * 3 + 1);
  std::cout << "served " << rounds << std::endl;
}

}  // namespace

CONSTELLATION_SCENARIO(channel_a_request_reply) {
  const auto c = constellation::spawn({}, server);
  constellation::sender<int> requests(c);
  constellation::receiver<int> replies(c);
  int correct = 0;
  for (int i = 0; i < rounds; ++i) {
    requests.send(i);
    const int reply = replies.recv();
    if (reply == i * 3 + 1)
      ++correct;
    else
      std::cout << "round " << i << ": got " << reply << ", expected " << i * 3 + 1 << std::endl;
  }
  std::cout << correct << " of " << rounds << " replies correct" << std::endl;
  return correct == rounds ? 0 : 1;
}
