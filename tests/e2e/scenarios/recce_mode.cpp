// CONSTELLATION_RECCE=1: init() prints the program's initial resources and exits; main's body
// never runs.
#include "scenario.hpp"

#include <iostream>

CONSTELLATION_SCENARIO(recce_mode) {
  std::cout << "the scenario's body ran\n";
  return 1;
}
