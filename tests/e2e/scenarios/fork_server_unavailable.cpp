// A fork server that cannot serve: this scenario's program starts a thread in a static initialiser
// when it runs as a fork server, which therefore must not fork and leaves at once. Every spawn is
// executed instead, and the job does not notice.
#include "scenario.hpp"
#include "started_by.hpp"

#include <constellation/constellation.hpp>

#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <iostream>
#include <iterator>
#include <string>
#include <thread>

namespace {

bool this_scenario() {
  std::ifstream in("/proc/self/cmdline", std::ios::binary);
  const std::string all((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const std::string name = std::string("fork_server_unavailable") + '\0';
  const auto first_end = all.find('\0');
  return first_end != std::string::npos && all.compare(first_end + 1, name.size(), name) == 0;
}

// Before main(), in the fork server of this scenario only.
[[maybe_unused]] const bool thread_in_fork_server = [] {
  if (!std::getenv("CONSTELLATION_FORK_SERVER") || !this_scenario()) return false;
  std::thread([] {
    while (true) ::pause();
  }).detach();
  return true;
}();

void child(constellation::pid, int n) {
  std::cout << "child " << n << ": " << e2e::started_by() << "\n";
}

}  // namespace

CONSTELLATION_SCENARIO(fork_server_unavailable) {
  for (int n = 0; n < 3; ++n) constellation::spawn({}, child, n);
  return 0;
}
