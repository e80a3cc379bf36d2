// An exception that escapes main() in the top process.
#include "scenario.hpp"

#include <stdexcept>

CONSTELLATION_SCENARIO(exception_in_top) {
  throw std::runtime_error("the top process went wrong");
}
