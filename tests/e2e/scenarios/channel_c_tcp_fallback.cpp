// A peer on the same host that keeps its links on TCP (as CONSTELLATION_CHANNELS=tcp does) is
// still reached: the other side's local connection is refused, and it falls back to TCP. Messages
// go both ways in order and neither side maps a ring.
#include "scenario.hpp"
#include "scenarios/rings_mapped.hpp"

#include "channel/transport.hpp"

#include <constellation/constellation.hpp>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>
#include <thread>

namespace {

constexpr int rounds = 500;

void tcp_only_echo(constellation::pid parent, std::string ready_file) {
  constellation::channel::transport::get("test").keep_links_on_tcp();
  std::ofstream(ready_file) << "ready\n";
  constellation::receiver<std::string> in(parent);
  constellation::sender<std::string> out(parent);
  for (int i = 0; i < rounds; ++i) out.send(in.recv() + "!");
  std::cout << "rings mapped: " << (rings_mapped() ? "yes" : "no") << std::endl;
}

}  // namespace

CONSTELLATION_SCENARIO(channel_c_tcp_fallback) {
  char folder[] = "/tmp/constellation-fallback-XXXXXX";
  if (!::mkdtemp(folder)) return 2;
  const std::string ready_file = std::string(folder) + "/ready";
  const auto child =
      constellation::spawn({.mem = 64 * constellation::MiB}, tcp_only_echo, ready_file);
  // The child's local socket must be closed before this side opens the link.
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (!std::filesystem::exists(ready_file) && std::chrono::steady_clock::now() < give_up)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  std::filesystem::remove_all(folder);
  constellation::sender<std::string> out(child);
  constellation::receiver<std::string> in(child);
  int correct = 0;
  for (int i = 0; i < rounds; ++i) {
    out.send(std::to_string(i));
    if (in.recv() == std::to_string(i) + "!") ++correct;
  }
  std::cout << correct << " of " << rounds
            << " answers correct, rings mapped: " << (rings_mapped() ? "yes" : "no") << std::endl;
  return correct == rounds ? 0 : 1;
}
