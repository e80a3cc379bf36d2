// this_process::pid() and this_process::resources() before init() throw std::logic_error.
#include "scenario.hpp"

#include <constellation/constellation.hpp>

#include <iostream>
#include <stdexcept>

CONSTELLATION_SCENARIO_NO_INIT(pid_before_init) {
  try {
    const auto pid = constellation::this_process::pid();
    std::cout << "pid() returned " << pid << "\n";
  } catch (const std::logic_error& e) {
    std::cout << "pid: logic_error: " << e.what() << "\n";
  }
  try {
    const auto resources = constellation::this_process::resources();
    std::cout << "resources() returned " << resources << "\n";
  } catch (const std::logic_error& e) {
    std::cout << "resources: logic_error: " << e.what() << "\n";
  }
  return 0;
}
