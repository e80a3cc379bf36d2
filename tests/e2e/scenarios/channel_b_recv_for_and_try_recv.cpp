// recv_for() on a live child that sends nothing returns nullopt after about its timeout;
// try_recv() returns nullopt while nothing is there, and the value once the child sent it.
#include "scenario.hpp"

#include <constellation/constellation.hpp>

#include <chrono>
#include <iostream>
#include <thread>

using namespace constellation::literals;
using namespace std::chrono_literals;

namespace {

// Silent until told to go; then sends 42 and waits to be told to end.
void answer_when_told(constellation::pid parent) {
  constellation::receiver<int> in(parent);
  in.recv();
  constellation::sender<int>(parent).send(42);
  in.recv();
}

}  // namespace

CONSTELLATION_SCENARIO(channel_b_recv_for_and_try_recv) {
  const auto child = constellation::spawn({.mem = 64_MiB, .cpu = 0.1}, answer_when_told);
  constellation::receiver<int> in(child);
  constellation::sender<int> out(child);

  const auto start = std::chrono::steady_clock::now();
  const auto timed = in.recv_for(100ms);
  const auto waited = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - start);
  if (timed)
    std::cout << "recv_for returned " << *timed << std::endl;
  else if (waited < 90ms || waited > 1000ms)
    std::cout << "recv_for timed out after " << waited.count() << " ms" << std::endl;
  else
    std::cout << "recv_for(100ms) timed out after roughly 100 ms" << std::endl;

  const auto empty = in.try_recv();
  std::cout << (empty ? "try_recv returned a value before any was sent" : "try_recv: nothing there")
            << std::endl;

  out.send(1);  // go
  int polls = 0;
  std::optional<int> got;
  for (; polls < 5000 && !(got = in.try_recv()); ++polls) std::this_thread::sleep_for(1ms);
  if (got)
    std::cout << "try_recv got " << *got << std::endl;
  else
    std::cout << "try_recv got nothing within 5 s" << std::endl;
  out.send(2);  // end
  return 0;
}
