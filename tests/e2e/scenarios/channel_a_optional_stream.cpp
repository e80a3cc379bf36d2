// A stream of std::optional<int> ended by an empty optional.
#include "scenario.hpp"

#include <constellation/constellation.hpp>

#include <iostream>
#include <optional>

namespace {

void child(constellation::pid parent) {
  constellation::receiver<std::optional<int>> stream(parent);
  int n = 0;
  while (auto v = stream.recv()) {
    std::cout << "value " << *v << std::endl;
    ++n;
  }
  std::cout << "end after " << n << " values" << std::endl;
}

}  // namespace

CONSTELLATION_SCENARIO(channel_a_optional_stream) {
  const auto c = constellation::spawn({}, child);
  constellation::sender<std::optional<int>> stream(c);
  for (int v : {5, 0, -7, 42}) stream.send(v);
  stream.send(std::nullopt);
  return 0;
}
