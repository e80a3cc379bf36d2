// The default, human format: output indented under a header per process, status lines on stderr.
#include "scenario.hpp"

#include <constellation/constellation.hpp>

#include <cstdlib>
#include <iostream>

namespace {

void child(constellation::pid) {
  std::cout << "hello from a child" << std::endl;
  std::cerr << "a warning" << std::endl;
  std::exit(7);
}

}  // namespace

CONSTELLATION_SCENARIO(human_format) {
  std::cout << "hello from the top" << std::endl;
  constellation::spawn({}, child);
  return 0;
}
