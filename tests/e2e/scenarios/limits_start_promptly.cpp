// With CONSTELLATION_ENFORCE_LIMITS=1, a spawned function starts as promptly as without: setting
// up the process's limits must not hold it back. Each child prints how long after the spawn() call
// its function began.
#include "scenario.hpp"

#include <constellation/constellation.hpp>

#include <chrono>
#include <cstdint>
#include <iostream>

namespace {

std::int64_t now_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

void report_delay(constellation::pid, std::int64_t spawned_at_ms) {
  std::cout << "started after " << now_ms() - spawned_at_ms << " ms\n";
}

}  // namespace

CONSTELLATION_SCENARIO(limits_start_promptly) {
  for (int i = 0; i < 3; ++i) constellation::spawn({}, report_delay, now_ms());
  return 0;
}
