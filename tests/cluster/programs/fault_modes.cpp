// Faults a node must clean up after: a process whose monitor is killed while helpers it started
// still run.
#include "programs/modes.hpp"

#include <signal.h>
#include <unistd.h>

#include <iostream>
#include <string>

namespace cluster_programs {

using constellation::pid;
using namespace constellation::literals;

namespace {

[[noreturn]] void idle_forever() {
  for (;;) ::pause();
}

// Starts two helpers, one in its process group and one that leaves it (setsid, as a daemon does),
// says who they and its monitor are, and waits for its parent, which never speaks.
void parent_of_helpers(pid parent) {
  const pid_t in_group = ::fork();
  if (in_group == 0) idle_forever();
  const pid_t own_session = ::fork();
  if (own_session == 0) {
    ::setsid();
    idle_forever();
  }
  std::cout << "helpers " << in_group << " " << own_session << " monitor " << ::getppid()
            << std::endl;
  constellation::receiver<int>(parent).recv();
}

}  // namespace

int abandoned_helpers() {
  const pid child = constellation::spawn({.mem = 64_MiB, .cpu = 0.25}, parent_of_helpers);
  std::cout << "spawned H " << child << std::endl;
  std::string line;
  std::getline(std::cin, line);
  return 0;
}

}  // namespace cluster_programs
