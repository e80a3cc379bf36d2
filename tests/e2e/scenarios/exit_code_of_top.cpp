// The command's exit code is the top process's, even when a child failed too.
#include "scenario.hpp"

#include <constellation/constellation.hpp>

#include <cstdlib>

namespace {

void exit_seven(constellation::pid) {
  std::exit(7);
}

}  // namespace

CONSTELLATION_SCENARIO(exit_code_of_top) {
  constellation::spawn({}, exit_seven);
  return 3;
}
