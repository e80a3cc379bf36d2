// Descriptors stay bounded however many peers a process meets: a link neither side uses any more
// is closed while both processes live on.
#include "scenario.hpp"

#include <constellation/constellation.hpp>

#include <dirent.h>
#include <unistd.h>

#include <chrono>
#include <iostream>
#include <thread>
#include <vector>

namespace {

constexpr int peers = 30;

int open_descriptors() {
  int n = 0;
  if (DIR* d = ::opendir("/proc/self/fd")) {
    while (dirent* e = ::readdir(d))
      if (e->d_name[0] != '.') ++n;
    ::closedir(d);
  }
  return n;
}

// Answers once, lets go of its channel ends, and stays alive past the parent's count.
void echo_once_then_linger(constellation::pid parent) {
  {
    constellation::receiver<int> in(parent);
    constellation::sender<int> out(parent);
    out.send(in.recv() + 1);
  }
  std::this_thread::sleep_for(std::chrono::seconds(6));
}

}  // namespace

CONSTELLATION_SCENARIO(idle_links_close) {
  const int before = open_descriptors();
  std::vector<constellation::pid> children;
  for (int i = 0; i < peers; ++i)
    children.push_back(
        constellation::spawn({.mem = 64 * constellation::MiB}, echo_once_then_linger));
  int answered = 0;
  for (auto& child : children) {
    constellation::sender<int> out(child);
    constellation::receiver<int> in(child);
    out.send(1);
    answered += in.recv() == 2;
  }
  const int in_use = open_descriptors();
  // Links unused for 2 s are closed by the check that runs every second.
  std::this_thread::sleep_for(std::chrono::milliseconds(4000));
  const int after = open_descriptors();
  std::cout << answered << " peers answered\n";
  std::cout << "links " << (in_use - before >= peers ? "open while in use" : "not counted") << "\n";
  std::cout << "idle links " << (after - before < 5 ? "closed" : "still open") << "\n";
  if (after - before >= 5)
    std::cerr << "descriptors: " << before << " before, " << in_use << " in use, " << after
              << " after\n";
  return 0;
}
