// The shared byte ring of local links: order, wrap-around, room, the sleep/wake flags, and the
// checks on a region handed over by a peer. Both sides are mapped in this process (the rings work
// on memory only); the two-thread case runs producer and consumer at once.
#include "channel/shm_ring.hpp"
#include "posix/unique_fd.hpp"

#include <doctest/doctest.h>

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <cstring>
#include <numeric>
#include <string>
#include <thread>
#include <vector>

using namespace constellation::channel;
namespace posix = constellation::posix;

namespace {

struct link_pair {
  std::unique_ptr<shm_link> accepting, connecting;
};

link_pair make_pair(std::size_t capacity) {
  std::string error;
  auto [accepting, fd] = shm_link::create(capacity, error);
  REQUIRE_MESSAGE(accepting, error);
  auto connecting = shm_link::attach(fd.get(), error);
  REQUIRE_MESSAGE(connecting, error);
  return {std::move(accepting), std::move(connecting)};
}

}  // namespace

TEST_CASE("shm_ring: bytes come out in order across the wrap, and room is bounded") {
  auto rings = make_pair(64);
  auto& out = rings.accepting->out();
  auto& in = rings.connecting->in();
  CHECK(out.room() == 64);
  CHECK(in.available() == 0);
  std::string produced, consumed;
  unsigned char next = 0;
  for (int round = 0; round < 50; ++round) {
    std::string chunk(static_cast<std::size_t>(round % 23 + 1), '\0');
    for (auto& c : chunk) c = static_cast<char>(next++);
    const std::size_t taken = out.write_some(chunk.data(), chunk.size());
    produced.append(chunk.data(), taken);
    CHECK(out.room() == 64 - in.available());
    char buffer[17];
    const std::size_t n = in.read_some(buffer, sizeof buffer);
    consumed.append(buffer, n);
    next =
        static_cast<unsigned char>(next - (chunk.size() - taken));  // what did not fit comes again
  }
  char rest[64];
  consumed.append(rest, in.read_some(rest, sizeof rest));
  CHECK(consumed == produced);
  CHECK(out.write_some(rest, 64) == 64);
  CHECK(out.write_some(rest, 1) == 0);  // full
}

TEST_CASE("shm_ring: each side writes its own ring") {
  auto rings = make_pair(128);
  CHECK(rings.accepting->out().write_some("to connecting", 13) == 13);
  CHECK(rings.connecting->out().write_some("to accepting", 12) == 12);
  char buffer[32];
  CHECK(std::string(buffer, rings.connecting->in().read_some(buffer, sizeof buffer)) ==
        "to connecting");
  CHECK(std::string(buffer, rings.accepting->in().read_some(buffer, sizeof buffer)) ==
        "to accepting");
}

TEST_CASE("shm_ring: a sleeper is woken once, and not when data came before it slept") {
  auto rings = make_pair(64);
  auto& out = rings.accepting->out();
  auto& in = rings.connecting->in();
  CHECK(out.consumer_needs_wake() == false);  // nobody sleeps
  CHECK(in.consumer_sleeps_unless_available() == false);
  out.write_some("x", 1);
  CHECK(out.consumer_needs_wake() == true);
  CHECK(out.consumer_needs_wake() == false);             // the flag was taken
  CHECK(in.consumer_sleeps_unless_available() == true);  // input is there: do not sleep

  char sink[64];
  in.read_some(sink, sizeof sink);
  CHECK(out.write_some(sink, 64) == 64);
  CHECK(out.producer_sleeps_unless_room() == false);  // full: the producer sleeps
  in.read_some(sink, 1);
  CHECK(in.producer_needs_wake() == true);
  CHECK(in.producer_needs_wake() == false);
  CHECK(out.producer_sleeps_unless_room() == true);  // room now: no sleep
}

TEST_CASE("shm_ring: a producer and a consumer thread move 64 MiB without loss") {
  auto rings = make_pair(4096);
  auto& out = rings.accepting->out();
  auto& in = rings.connecting->in();
  constexpr std::size_t total = 64 * 1024 * 1024;
  std::thread producer([&] {
    std::vector<std::uint32_t> block(97);
    std::uint32_t value = 0;
    std::size_t sent = 0;
    std::size_t offset = 0;  // within the current block
    while (sent < total) {
      if (offset == 0) std::iota(block.begin(), block.end(), value);
      const auto* bytes = reinterpret_cast<const char*>(block.data());
      const std::size_t want = std::min(block.size() * 4 - offset, total - sent);
      const std::size_t n = out.write_some(bytes + offset, want);
      sent += n;
      offset += n;
      if (offset == block.size() * 4) {
        offset = 0;
        value += static_cast<std::uint32_t>(block.size());
      }
    }
  });
  std::vector<char> received;
  received.reserve(total);
  char buffer[1500];
  while (received.size() < total) {
    const std::size_t n = in.read_some(buffer, sizeof buffer);
    received.insert(received.end(), buffer, buffer + n);
  }
  producer.join();
  bool in_order = true;
  for (std::size_t i = 0; i + 4 <= received.size(); i += 4) {
    std::uint32_t v;
    std::memcpy(&v, received.data() + i, 4);
    if (v != i / 4) {
      in_order = false;
      break;
    }
  }
  CHECK(in_order);
}

TEST_CASE("shm_link: a region that is not sealed, too small, or with a bad header is refused") {
  std::string error;
  const posix::unique_fd unsealed(::memfd_create("test", MFD_CLOEXEC));
  REQUIRE(::ftruncate(unsealed.get(), static_cast<off_t>(shm_link_bytes(4096))) == 0);
  CHECK(shm_link::attach(unsealed.get(), error) == nullptr);
  CHECK(error.find("sealed") != std::string::npos);

  const posix::unique_fd tiny(::memfd_create("test", MFD_CLOEXEC | MFD_ALLOW_SEALING));
  REQUIRE(::ftruncate(tiny.get(), 100) == 0);
  REQUIRE(::fcntl(tiny.get(), F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW) == 0);
  CHECK(shm_link::attach(tiny.get(), error) == nullptr);
  CHECK(error.find("impossible size") != std::string::npos);

  const posix::unique_fd zeroes(::memfd_create("test", MFD_CLOEXEC | MFD_ALLOW_SEALING));
  REQUIRE(::ftruncate(zeroes.get(), static_cast<off_t>(shm_link_bytes(4096))) == 0);
  REQUIRE(::fcntl(zeroes.get(), F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW) == 0);
  CHECK(shm_link::attach(zeroes.get(), error) == nullptr);
  CHECK(error.find("bad header") != std::string::npos);
}
