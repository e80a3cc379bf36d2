// When the top process succeeds, the command's exit code is the first failure of another process.
#include "scenario.hpp"

#include <constellation/constellation.hpp>

#include <cstdlib>

namespace {

void exit_seven(constellation::pid) {
  std::exit(7);
}

}  // namespace

CONSTELLATION_SCENARIO(exit_code_of_child) {
  constellation::spawn({}, exit_seven);
  return 0;
}
