// Compiles and links against the installed package; the install test does not run it.
#include <constellation/constellation.hpp>

#include <iostream>

int main() {
  constellation::init();
  std::cout << constellation::this_process::pid() << '\n';
}
