// The smallest constellation program: the top process spawns one child, which greets its parent.
#include <constellation/constellation.hpp>

#include <iostream>
#include <string>

using namespace constellation::literals;

void greet(constellation::pid parent, std::string name) {
  std::cout << "hello, " << name << ", from " << constellation::this_process::pid() << " (child of "
            << parent << ")" << std::endl;
}

int main() {
  constellation::init();
  std::cout << "top process " << constellation::this_process::pid() << std::endl;
  constellation::spawn({.mem = 20_MiB, .cpu = 0.25}, greet, "world");
}
