// An exception that escapes a spawned function.
#include "scenario.hpp"

#include <constellation/constellation.hpp>

#include <stdexcept>

namespace {

void fail(constellation::pid) {
  throw std::runtime_error("the child went wrong");
}

}  // namespace

CONSTELLATION_SCENARIO(exception_in_child) {
  constellation::spawn({}, fail);
  return 0;
}
