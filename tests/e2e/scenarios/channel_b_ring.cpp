// Five processes in a ring pass a token three laps, each adding one as it goes by: 15.
#include "scenario.hpp"

#include <constellation/constellation.hpp>

#include <iostream>
#include <vector>

using constellation::pid;
using namespace constellation::literals;

namespace {

constexpr int n = 5;
constexpr int laps = 3;

// (predecessor, successor, starts)
void member(pid parent) {
  const auto [predecessor, successor, starts] =
      constellation::receiver<std::tuple<pid, pid, bool>>(parent).recv();
  constellation::receiver<long> in(predecessor);
  constellation::sender<long> out(successor);
  long token = 0;
  for (int lap = 0; lap < laps; ++lap) {
    if (starts) {
      out.send(token + 1);
      token = in.recv();
    } else {
      token = in.recv() + 1;
      out.send(token);
    }
  }
  std::cout << "passed the token " << laps << " times, last " << token << std::endl;
  if (starts) constellation::sender<long>(parent).send(token);
}

}  // namespace

CONSTELLATION_SCENARIO(channel_b_ring) {
  std::vector<pid> ring;
  for (int i = 0; i < n; ++i)
    ring.push_back(constellation::spawn({.mem = 64_MiB, .cpu = 0.1}, member));
  for (int i = 0; i < n; ++i)
    constellation::sender<std::tuple<pid, pid, bool>>(ring[i]).send(
        {ring[(i + n - 1) % n], ring[(i + 1) % n], i == 0});
  const long token = constellation::receiver<long>(ring[0]).recv();
  std::cout << "token " << token << " after " << laps << " laps of " << n << std::endl;
  return token == n * laps ? 0 : 1;
}
