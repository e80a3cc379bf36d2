// One 64 MiB std::vector<char> from a child to its parent, arriving whole: size and checksum.
// The parent is itself a spawned process, so that both ends ask for the memory and CPU they use.
#include "scenario.hpp"

#include <constellation/constellation.hpp>

#include <cstdint>
#include <iostream>
#include <vector>

using namespace constellation::literals;

namespace {

constexpr std::size_t size = 64_MiB;

std::vector<char> pattern() {
  std::vector<char> v(size);
  for (std::size_t i = 0; i < size; ++i) v[i] = static_cast<char>((i * 31) ^ (i >> 12));
  return v;
}

std::uint64_t fnv1a(const std::vector<char>& v) {
  std::uint64_t h = 14695981039346656037ull;
  for (char c : v) {
    h ^= static_cast<unsigned char>(c);
    h *= 1099511628211ull;
  }
  return h;
}

void send_big(constellation::pid parent) {
  constellation::sender<std::vector<char>>(parent).send(pattern());
  std::cout << "sent " << size << " bytes" << std::endl;
}

void receive_big(constellation::pid) {
  const auto child = constellation::spawn({.mem = 256_MiB, .cpu = 0.5}, send_big);
  const std::vector<char> got = constellation::receiver<std::vector<char>>(child).recv();
  const std::uint64_t expected = fnv1a(pattern());
  std::cout << "received " << got.size() << " bytes, checksum "
            << (got.size() == size && fnv1a(got) == expected ? "ok" : "WRONG") << std::endl;
}

}  // namespace

CONSTELLATION_SCENARIO(channel_b_64mib_message) {
  constellation::spawn({.mem = 256_MiB, .cpu = 0.5}, receive_big);
  return 0;
}
