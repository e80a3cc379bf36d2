// One-way throughput of a channel between two processes: small messages per second, and GB/s for
// 1 MiB messages, each next to a raw TCP loopback socket between the same two processes in the
// same run. Targets: >= 1 million 64-byte messages per second; 1 MiB at >= 0.8x raw TCP.
#include "../common/raw_tcp.hpp"

#include <constellation/constellation.hpp>

#include <array>
#include <iostream>

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
    ssize_t r = ::read(fd, buffer.data(), std::min<std::size_t>(buffer.size(), static_cast<std::size_t>(left)));
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

}  // namespace

int main(int argc, char** argv) {
  init();
  const double scale = argc > 1 ? std::atof(argv[1]) : 1.0;
  const auto small_count = static_cast<std::int64_t>(2'000'000 * scale);
  const auto large_count = static_cast<std::int64_t>(2'000 * scale);

  std::printf("one-way throughput between two processes vs raw TCP loopback (same run)\n");
  small_message small{};
  double c = channel_seconds(small, small_count);
  double r = raw_seconds(sizeof(small_message), small_count);
  std::printf("64 B messages:  channel %6.2f M msg/s | raw TCP, one write each %6.2f M msg/s | ratio %.2fx | target >= 1 M msg/s: %s\n",
              small_count / c / 1e6, small_count / r / 1e6, r / c, small_count / c >= 1e6 ? "met" : "NOT met");

  large_message large(1 << 20, 'y');
  c = channel_seconds(large, large_count);
  r = raw_seconds(large.size(), large_count);
  const double gb = static_cast<double>(large.size()) * static_cast<double>(large_count) / 1e9;
  std::printf("1 MiB messages: channel %6.2f GB/s | raw TCP %6.2f GB/s | ratio %.2fx | target >= 0.8x: %s\n", gb / c, gb / r,
              r / c, r / c >= 0.8 ? "met" : "NOT met");
}
