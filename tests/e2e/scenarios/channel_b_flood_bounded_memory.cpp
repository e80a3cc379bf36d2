// A child floods its parent with 200 MiB in 64 KiB messages while the parent sleeps 2 s before
// receiving: the child's sends block (backpressure) rather than its memory growing. The child
// reports its peak resident memory (VmHWM) growth and how long its sends took in a last message.
// The parent is itself spawned, to ask for the CPU it uses (the top process has 1/16 of a core).
#include "scenario.hpp"

#include <constellation/constellation.hpp>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

using namespace constellation::literals;
using namespace std::chrono_literals;

namespace {

constexpr std::uint32_t chunk = 64 * 1024;
constexpr std::uint32_t chunks = 200 * 16;  // 200 MiB

// (sequence number, data, peak growth in KiB, milliseconds the sends took); the last message,
// number `chunks`, has no data and carries the report.
using message = std::tuple<std::uint32_t, std::vector<char>, long, long>;

long vm_hwm_kib() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line))
    if (line.rfind("VmHWM:", 0) == 0) return std::stol(line.substr(6));
  return -1;
}

void flood(constellation::pid parent) {
  const long start_kib = vm_hwm_kib();
  constellation::sender<message> out(parent);
  const auto start = std::chrono::steady_clock::now();
  for (std::uint32_t i = 0; i < chunks; ++i)
    out.send({i, std::vector<char>(chunk, static_cast<char>(i)), 0, 0});
  const long ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::steady_clock::now() - start)
                      .count();
  out.send({chunks, {}, vm_hwm_kib() - start_kib, ms});
}

void receive_flood(constellation::pid) {
  const auto child = constellation::spawn({.mem = 256_MiB, .cpu = 0.5}, flood);
  constellation::receiver<message> in(child);
  std::this_thread::sleep_for(2s);
  std::uint64_t bytes = 0;
  for (std::uint32_t i = 0; i < chunks; ++i) {
    const auto [seq, data, growth, ms] = in.recv();
    bool right = seq == i && data.size() == chunk;
    for (std::size_t k = 0; right && k < data.size(); k += 4096)
      right = data[k] == static_cast<char>(i);
    if (!right) {
      std::cout << "message " << i << " is number " << seq << " of " << data.size() << " bytes"
                << std::endl;
      std::exit(1);
    }
    bytes += data.size();
  }
  const auto [seq, data, growth_kib, ms] = in.recv();
  std::cout << "received " << chunks << " messages, " << bytes / 1_MiB << " MiB, in order"
            << std::endl;
  std::cout << "child's peak memory grew "
            << (growth_kib >= 0 && growth_kib < 100 * 1024
                    ? "less than 100 MiB"
                    : "by " + std::to_string(growth_kib) + " KiB")
            << std::endl;
  std::cout << "child's sends "
            << (ms >= 1500 ? "blocked while the parent slept"
                           : "took only " + std::to_string(ms) + " ms")
            << std::endl;
}

}  // namespace

CONSTELLATION_SCENARIO(channel_b_flood_bounded_memory) {
  constellation::spawn({.mem = 64_MiB, .cpu = 0.5}, receive_flood);
  return 0;
}
