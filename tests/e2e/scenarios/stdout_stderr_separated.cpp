// stdout and stderr stay apart, each in its own order, however the writes alternate.
#include "scenario.hpp"

#include <constellation/constellation.hpp>

#include <iostream>

namespace {

void alternate(const char* who) {
  for (int i = 0; i < 10; ++i) {
    std::cout << who << " out " << i << std::endl;
    std::cerr << who << " err " << i << std::endl;
  }
}

void child(constellation::pid) {
  alternate("child");
}

}  // namespace

CONSTELLATION_SCENARIO(stdout_stderr_separated) {
  constellation::spawn({}, child);
  alternate("top");
  return 0;
}
