// The simplest run: the top process prints and returns 0 from main.
#include "scenario.hpp"

#include <iostream>

CONSTELLATION_SCENARIO(return_from_main) {
  std::cout << "hello\n";
  return 0;
}
