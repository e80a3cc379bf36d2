// A second init() throws std::logic_error; the process goes on.
#include "scenario.hpp"

#include <constellation/constellation.hpp>

#include <iostream>
#include <stdexcept>

CONSTELLATION_SCENARIO(init_called_twice) {
  try {
    constellation::init();
    std::cout << "the second init() returned\n";
    return 1;
  } catch (const std::logic_error& e) {
    std::cout << "logic_error: " << e.what() << "\n";
  }
  return 0;
}
