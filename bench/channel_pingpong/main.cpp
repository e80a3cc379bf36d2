// Round-trip latency of a channel between two processes, next to a raw TCP loopback socket between
// the same two processes and a hand-written spinning shared-memory ring between two processes,
// measured in the same run, rounds interleaved so that machine noise hits all alike. Targets: on
// one host (shared-memory links) channel p50 within 3x and p99 within 5x of the ring; with
// CONSTELLATION_CHANNELS=tcp, channel p50 within 1.25x of raw TCP.
//
// With --across PARENT_IPV4 the program runs deployed on a cluster where its peers only fit on
// another node (bench/cross_host_rtt starts such a cluster in network namespaces): the channel and
// the raw TCP socket then both cross the network between two hosts, and the ring, which needs one
// host, is left out. Target there: channel p50 within 1.25x of raw TCP.
#include "../common/raw_tcp.hpp"
#include "../common/spinning_ring.hpp"

#include <constellation/constellation.hpp>

#include <array>
#include <iostream>
#include <optional>
#include <string>

using namespace constellation;

namespace {

constexpr int warmup = 200;

template <class T>
void echo_channel(pid parent, int rounds) {
  receiver<T> in(parent);
  sender<T> out(parent);
  for (int i = 0; i < rounds; ++i) out.send(in.recv());
}

void echo_raw(pid, std::string ip, std::uint16_t port, int size, int rounds) {
  int fd = bench::connect_to(ip.c_str(), port);
  std::string buffer(static_cast<std::size_t>(size), '\0');
  for (int i = 0; i < rounds; ++i) {
    bench::read_all(fd, buffer.data(), buffer.size());
    bench::write_all(fd, buffer.data(), buffer.size());
  }
}

// Rounds run in blocks of `block`, the three ways taking turns block by block, and the first
// `settle` rounds of every block are not counted: each peer spins only while its own block runs
// (on two cores, a peer spinning through the others' blocks would take a core from them), and a
// block's first round pays for waking a peer that slept through the others' blocks.
constexpr int block = 100;
constexpr int settle = 5;

// Where the peers run: beside this process (the default), or on another host, reaching this one at
// parent_ip.
struct placement {
  bool across = false;
  std::string parent_ip = "127.0.0.1";
  // A request that only another node of bench/cross_host_rtt's cluster has room for.
  resources peer_needs() const {
    return across ? resources{.mem = 256 * MiB, .cpu = 1} : resources{};
  }
};

template <class T>
void measure(const char* label, T value, int size, int rounds, const placement& where) {
  std::uint16_t port = 0;
  int listener = bench::listen_on(where.across ? "0.0.0.0" : "127.0.0.1", port);
  const int blocks = (warmup + rounds + block - settle - 1) / (block - settle);
  const int total = blocks * block;
  pid channel_peer = spawn(where.peer_needs(), echo_channel<T>, total);
  spawn(where.peer_needs(), echo_raw, where.parent_ip, port, size,
        total);  // answers on the raw socket
  int raw = ::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
  bench::no_delay(raw);
  sender<T> out(channel_peer);
  receiver<T> in(channel_peer);
  std::string buffer(static_cast<std::size_t>(size), 'x');
  std::optional<bench::ring_peer> ring;
  if (!where.across)
    ring.emplace([size, total](bench::spinning_ring& from_parent, bench::spinning_ring& to_parent) {
      char echo[1024];
      for (int i = 0; i < total; ++i) {
        from_parent.read(echo, static_cast<std::size_t>(size), 100000);
        to_parent.write(echo, static_cast<std::size_t>(size));
      }
    });

  std::vector<double> channel_us, raw_us, ring_us;
  int counted = 0;
  for (int b = 0; b < blocks; ++b) {
    const bool record = counted >= warmup;
    counted += block - settle;
    for (int i = 0; i < block; ++i) {
      auto t0 = bench::clock::now();
      out.send(value);
      value = in.recv();
      if (record && i >= settle) channel_us.push_back(bench::micros(bench::clock::now() - t0));
    }
    for (int i = 0; i < block; ++i) {
      auto t0 = bench::clock::now();
      bench::write_all(raw, buffer.data(), buffer.size());
      bench::read_all(raw, buffer.data(), buffer.size());
      if (record && i >= settle) raw_us.push_back(bench::micros(bench::clock::now() - t0));
    }
    for (int i = 0; ring && i < block; ++i) {
      auto t0 = bench::clock::now();
      ring->to_peer().write(buffer.data(), buffer.size());
      ring->from_peer().read(buffer.data(), buffer.size());
      if (record && i >= settle) ring_us.push_back(bench::micros(bench::clock::now() - t0));
    }
  }
  auto c = bench::summarize(channel_us), r = bench::summarize(raw_us);
  if (!ring) {
    std::printf(
        "%-6s %6d  channel p50 %6.2f us p99 %7.2f us | raw TCP across hosts p50 %6.2f p99 %7.2f "
        "(%.2fx, %.2fx)\n",
        label, rounds, c.p50, c.p99, r.p50, r.p99, c.p50 / r.p50, c.p99 / r.p99);
    ::close(raw);
    ::close(listener);
    return;
  }
  auto g = bench::summarize(ring_us);
  std::printf(
      "%-6s %6d  channel p50 %6.2f us p99 %7.2f us | raw TCP p50 %6.2f p99 %7.2f (%.2fx, %.2fx) | "
      "ring p50 %5.2f p99 %6.2f (%.2fx, %.2fx)\n",
      label, rounds, c.p50, c.p99, r.p50, r.p99, c.p50 / r.p50, c.p99 / r.p99, g.p50, g.p99,
      c.p50 / g.p50, c.p99 / g.p99);
  ::close(raw);
  ::close(listener);
}

}  // namespace

// channel_pingpong [ROUNDS] [--across PARENT_IPV4]
int main(int argc, char** argv) {
  init();
  int rounds = 5000;
  placement where;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--across" && i + 1 < argc) {
      where.across = true;
      where.parent_ip = argv[++i];
    } else {
      rounds = std::atoi(argv[i]);
    }
  }
  if (where.across)
    std::printf(
        "channel round trip between processes on two hosts vs raw TCP between the same two hosts\n"
        "(same run, blocks of rounds interleaved; ratios are channel / raw TCP, p50 and p99)\n");
  else
    std::printf(
        "channel round trip between two processes vs raw TCP loopback and a spinning shared-memory "
        "ring\n"
        "(same run, blocks of rounds interleaved; ratios are channel / baseline, p50 and p99)\n");
  measure("8 B", std::uint64_t{42}, 8, rounds, where);
  std::array<char, 1024> kib{};
  measure("1 KiB", kib, 1024, rounds, where);
  if (where.across)
    std::printf("target: across hosts, raw TCP p50 <= 1.25x\n");
  else
    std::printf(
        "targets: same host, ring p50 <= 3x and p99 <= 5x; CONSTELLATION_CHANNELS=tcp, raw TCP p50 "
        "<= 1.25x\n");
}
