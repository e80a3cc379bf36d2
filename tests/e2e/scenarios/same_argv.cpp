// Spawned processes see the same argv as the top process, arguments with spaces included.
#include "scenario.hpp"

#include <constellation/constellation.hpp>

#include <iostream>
#include <string>
#include <vector>

namespace {

std::vector<std::string> own_arguments() {
  const auto argv = e2e::program_arguments();
  return {argv.begin(), argv.end()};
}

// argv without argv[0], whose path differs from run to run.
void show(const char* who) {
  const auto argv = own_arguments();
  std::cout << who << " argv";
  for (std::size_t i = 1; i < argv.size(); ++i) std::cout << " [" << argv[i] << "]";
  std::cout << "\n";
}

void child(constellation::pid, std::vector<std::string> top_argv) {
  show("child");
  std::cout << (own_arguments() == top_argv ? "same as the top's, argv[0] included\n"
                                            : "differs from the top's\n");
}

}  // namespace

CONSTELLATION_SCENARIO(same_argv) {
  show("top");
  constellation::spawn({}, child, own_arguments());
  constellation::spawn({}, child, own_arguments());
  return 0;
}
