// A top process killed by a signal: the command exits with 128 + the signal's number.
#include "scenario.hpp"

#include <cstdlib>
#include <iostream>

CONSTELLATION_SCENARIO(abort_in_top) {
  std::cout << "about to abort" << std::endl;
  std::abort();
}
