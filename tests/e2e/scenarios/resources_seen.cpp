// What this_process::resources() says: the default for the top process and for a child spawned
// with resources{}, and exactly what was asked for otherwise.
#include "scenario.hpp"

#include <constellation/constellation.hpp>

#include <charconv>
#include <iostream>
#include <string>

using namespace constellation::literals;

namespace {

// The shortest text that reads back as the same double, so that "passed exactly" is checked.
std::string exact(double value) {
  char text[32];
  const auto end = std::to_chars(text, text + sizeof text, value).ptr;
  return std::string(text, end);
}

void show(const char* who) {
  const auto r = constellation::this_process::resources();
  std::cout << who << " mem " << r.mem << " cpu " << exact(r.cpu) << "\n";
}

void child(constellation::pid, std::string name) {
  show(name.c_str());
}

}  // namespace

CONSTELLATION_SCENARIO(resources_seen) {
  show("top");
  constellation::spawn({}, child, "default");
  constellation::spawn({.mem = 200_MiB, .cpu = 0.25}, child, "small");
  // Below the test machine's 2 cores, so that no future capacity check refuses it.
  constellation::spawn({.mem = 1_GiB, .cpu = 1.5}, child, "large");
  constellation::spawn({.mem = 123456789, .cpu = 0.1}, child, "odd");
  return 0;
}
