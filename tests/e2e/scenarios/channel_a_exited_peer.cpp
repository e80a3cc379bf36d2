// Channels to a peer that is gone: to a child that exited before any connection was made, recv()
// and send() throw channel_error exited within seconds; from a child killed by SIGKILL once the
// link is up, recv() throws channel_error died.
#include "scenario.hpp"

#include <constellation/constellation.hpp>

#include <chrono>
#include <csignal>
#include <iostream>
#include <thread>

namespace {

void exits_at_once(constellation::pid) {}

void killed(constellation::pid parent) {
  constellation::sender<int> to_parent(parent);
  constellation::receiver<int> from_parent(parent);
  to_parent.send(7);
  from_parent.recv();  // the parent has our 7: the link is up both ways
  std::raise(SIGKILL);
}

template <class F>
void expect_error(const char* what, F f) {
  const auto start = std::chrono::steady_clock::now();
  try {
    f();
    std::cout << what << " did not throw" << std::endl;
  } catch (const constellation::channel_error& e) {
    const auto took = std::chrono::steady_clock::now() - start;
    std::cout << what << " threw " << constellation::to_string(e.reason())
              << (took < std::chrono::seconds(5) ? " within 5 s" : " too late") << std::endl;
  }
}

}  // namespace

CONSTELLATION_SCENARIO(channel_a_exited_peer) {
  const auto gone = constellation::spawn({}, exits_at_once);
  std::this_thread::sleep_for(std::chrono::seconds(1));
  constellation::receiver<int> from_gone(gone);
  expect_error("recv from the exited child", [&] { from_gone.recv(); });
  constellation::sender<int> to_gone(gone);
  expect_error("send to the exited child", [&] { to_gone.send(1); });

  const auto victim = constellation::spawn({}, killed);
  constellation::receiver<int> from_victim(victim);
  constellation::sender<int> to_victim(victim);
  std::cout << "victim sent " << from_victim.recv() << std::endl;
  to_victim.send(0);
  expect_error("recv from the killed child", [&] { from_victim.recv(); });
  return 0;
}
