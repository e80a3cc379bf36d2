// A process over its memory limit, among processes within theirs.
#include "programs/modes.hpp"

#include <unistd.h>

#include <iostream>
#include <memory>
#include <string>
#include <vector>

namespace cluster_programs {

using constellation::pid;
using namespace constellation::literals;

namespace {

// Holds its place until its parent says the hog is gone, then finishes normally.
void neighbour(pid parent, int n) {
  std::cout << "neighbour " << n << " " << constellation::this_process::pid() << std::endl;
  constellation::receiver<int> from_parent(parent);
  from_parent.recv();
  std::cout << "neighbour " << n << " finished" << std::endl;
}

// Allocates and touches 1 GiB, 16 times what it asked for; the node must stop it.
void hog(pid) {
  std::cout << "hog " << constellation::this_process::pid() << std::endl;
  constexpr std::size_t chunk = 16_MiB;
  const auto page = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
  std::vector<std::unique_ptr<char[]>> held;
  for (int i = 0; i < 64; ++i) {
    held.push_back(std::make_unique<char[]>(chunk));
    // Every page written through a volatile pointer, so that none stays untouched or is elided.
    volatile char* bytes = held.back().get();
    for (std::size_t at = 0; at < chunk; at += page) bytes[at] = 1;
  }
  std::cout << "hog survived with " << held.size() * chunk / 1_MiB << " MiB" << std::endl;
}

}  // namespace

int memory_hog() {
  const constellation::resources small{.mem = 32_MiB, .cpu = 0.0625};
  const pid first = constellation::spawn(small, neighbour, 1);
  const pid second = constellation::spawn(small, neighbour, 2);
  const pid hungry = constellation::spawn({.mem = 64_MiB, .cpu = 0.0625}, hog);
  std::cout << "spawned hog " << hungry << std::endl;
  // The hog sends nothing: recv() ends when it is gone.
  try {
    constellation::receiver<int>(hungry).recv();
    std::cout << "hog sent a message" << std::endl;
  } catch (const constellation::channel_error& e) {
    std::cout << "hog gone: " << e.what() << std::endl;
  }
  for (const pid n : {first, second}) constellation::sender<int>(n).send(1);
  std::cout << "neighbours released" << std::endl;
  return 0;
}

}  // namespace cluster_programs
