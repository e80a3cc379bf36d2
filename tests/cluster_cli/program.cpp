// The program the cluster_cli tests deploy: main() calls constellation::init() first, so its
// recce reports {"mem":67108864,"cpu":0.5}. Its body never runs in these tests (the master is a
// stand-in), but it is a real program: it echoes its stdin, as a deployed top process would.
#include <constellation/constellation.hpp>

#include <iostream>
#include <string>

using namespace constellation::literals;

int main() {
  constellation::init({.mem = 64_MiB, .cpu = 0.5});
  std::string line;
  while (std::getline(std::cin, line)) std::cout << line << std::endl;
}
