// Compiles and links against the installed package; the install test does not run it.
#include <constellation/constellation.hpp>
#include <constellation/dataflow.hpp>

#include <iostream>

int main() {
  constellation::init();
  std::cout << constellation::this_process::pid() << '\n';
  constellation::dataflow::context ctx;
  std::cout << ctx.range(0, 10).map([](const std::uint64_t& x) { return x * x; }).count() << '\n';
}
