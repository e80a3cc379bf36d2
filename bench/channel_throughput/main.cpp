// One-way throughput of a channel between two processes: small messages per second, and GB/s for
// 1 MiB messages, each next to a raw TCP loopback socket between the same two processes and a
// hand-written spinning shared-memory ring (memcpy in, memcpy out) in the same run. Targets on one
// host: >= 5 million 64-byte messages per second; 1 MiB at >= 0.8x the ring. With
// CONSTELLATION_CHANNELS=tcp: 1 MiB at >= 0.8x raw TCP.
#include "../common/raw_tcp.hpp"
#include "../common/spinning_ring.hpp"

#include <constellation/constellation.hpp>

#include <algorithm>
#include <array>
#include <iostream>
#include <string>
#include <vector>

using namespace constellation;

namespace {

using small_message = std::array<char, 64>;
using large_message = std::vector<char>;

// Receives count messages, then answers with how many arrived.
template <class T>
void drain_channel(pid parent, std::int64_t count) {
  receiver<T> in(parent);
  std::int64_t received = 0;
  for (std::int64_t i = 0; i < count; ++i) {
    in.recv();
    ++received;
  }
  sender<std::int64_t>(parent).send(received);
}

void drain_raw(pid, std::uint16_t port, std::int64_t bytes) {
  int fd = bench::connect_loopback(port);
  std::vector<char> buffer(1 << 20);
  std::int64_t left = bytes;
  while (left > 0) {
    ssize_t r = ::read(fd, buffer.data(),
                       std::min<std::size_t>(buffer.size(), static_cast<std::size_t>(left)));
    if (r <= 0) bench::die("read");
    left -= r;
  }
  char done = 1;
  bench::write_all(fd, &done, 1);
}

template <class T>
double channel_seconds(const T& message, std::int64_t count) {
  pid peer = spawn({.mem = 512 * MiB}, drain_channel<T>, count);
  sender<T> out(peer);
  receiver<std::int64_t> done(peer);
  out.send(message);  // the link is up before the clock starts
  auto t0 = bench::clock::now();
  for (std::int64_t i = 1; i < count; ++i) out.send(message);
  if (done.recv() != count) std::printf("channel lost messages!\n");
  return std::chrono::duration<double>(bench::clock::now() - t0).count();
}

double raw_seconds(std::size_t size, std::int64_t count) {
  std::uint16_t port = 0;
  int listener = bench::listen_loopback(port);
  spawn({.mem = 512 * MiB}, drain_raw, port, static_cast<std::int64_t>(size) * count);
  int fd = ::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
  bench::no_delay(fd);
  std::vector<char> message(size, 'x');
  auto t0 = bench::clock::now();
  for (std::int64_t i = 0; i < count; ++i) bench::write_all(fd, message.data(), size);
  char done;
  bench::read_all(fd, &done, 1);
  double s = std::chrono::duration<double>(bench::clock::now() - t0).count();
  ::close(fd);
  ::close(listener);
  return s;
}

double ring_seconds(std::size_t size, std::int64_t count) {
  bench::ring_peer ring(
      [size, count](bench::spinning_ring& from_parent, bench::spinning_ring& to_parent) {
        static std::vector<char> buffer;
        buffer.resize(size);
        for (std::int64_t i = 0; i < count; ++i) from_parent.read(buffer.data(), size);
        char done = 1;
        to_parent.write(&done, 1);
      });
  std::vector<char> message(size, 'x');
  auto t0 = bench::clock::now();
  for (std::int64_t i = 0; i < count; ++i) ring.to_peer().write(message.data(), size);
  char done;
  ring.from_peer().read(&done, 1);
  return std::chrono::duration<double>(bench::clock::now() - t0).count();
}

// Rounds alternate between the channel and raw TCP, so that both see the same machine; the
// figures are the medians of the rounds' rates.
constexpr int rounds = 5;

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

struct rates {
  double channel, raw, ring;  // messages per second
};

template <class T>
rates measure(const T& message, std::size_t size, std::int64_t count) {
  std::vector<double> channel, raw, ring;
  const std::int64_t per_round = std::max<std::int64_t>(count / rounds, 2);
  for (int i = 0; i < rounds; ++i) {
    channel.push_back(static_cast<double>(per_round) / channel_seconds(message, per_round));
    raw.push_back(static_cast<double>(per_round) / raw_seconds(size, per_round));
    ring.push_back(static_cast<double>(per_round) / ring_seconds(size, per_round));
  }
  return {median(channel), median(raw), median(ring)};
}

}  // namespace

int main(int argc, char** argv) {
  init();
  // channel_throughput [scale] [small|large]: scale multiplies the message counts; the second
  // argument runs one of the two measurements alone (for profiling).
  const double scale = argc > 1 ? std::atof(argv[1]) : 1.0;
  const std::string only = argc > 2 ? argv[2] : "";
  const auto small_count = static_cast<std::int64_t>(2'000'000 * scale);
  const auto large_count = static_cast<std::int64_t>(2'000 * scale);

  std::printf(
      "one-way throughput between two processes vs raw TCP loopback and a spinning shared-memory "
      "ring\n"
      "(same run, median of %d interleaved rounds)\n",
      rounds);
  if (only != "large") {
    const small_message small{};
    const auto r = measure(small, sizeof small, small_count);
    std::printf(
        "64 B messages:  channel %6.2f M msg/s | raw TCP, one write each %6.2f M msg/s (%.2fx) | "
        "ring %6.2f M msg/s "
        "(%.2fx) | target >= 5 M msg/s: %s\n",
        r.channel / 1e6, r.raw / 1e6, r.channel / r.raw, r.ring / 1e6, r.channel / r.ring,
        r.channel >= 5e6 ? "met" : "NOT met");
  }
  if (only == "small") return 0;

  const large_message large(1 << 20, 'y');
  const auto r = measure(large, large.size(), large_count);
  const double gb = static_cast<double>(large.size()) / 1e9;
  std::printf(
      "1 MiB messages: channel %6.2f GB/s | raw TCP %6.2f GB/s (%.2fx) | ring %6.2f GB/s (%.2fx) | "
      "target >= 0.8x "
      "the ring on one host, raw TCP across hosts\n",
      r.channel * gb, r.raw * gb, r.channel / r.raw, r.ring * gb, r.channel / r.ring);
}
