// spawn()'s two ways to start a process: forked by the job's fork server (the default), and
// executed afresh after this_process::spawn_by_exec(). Each child says how it started, and that
// its function got its argument; the switch is read by each spawn.
#include "scenario.hpp"
#include "started_by.hpp"

#include <constellation/constellation.hpp>

#include <iostream>
#include <string>

namespace {

void child(constellation::pid parent, std::string label) {
  constellation::receiver<int> go(parent);
  std::cout << label << ": " << e2e::started_by() << "\n";
  constellation::sender<int>(parent).send(go.recv() + 1);
}

// Spawns one child, and waits until it ran, so that the children start one after the other.
void run(const std::string& label) {
  auto pid = constellation::spawn({}, child, label);
  constellation::sender<int>(pid).send(41);
  if (constellation::receiver<int>(pid).recv() != 42) std::cout << label << ": wrong answer\n";
}

}  // namespace

CONSTELLATION_SCENARIO(spawn_methods) {
  run("default");
  constellation::this_process::spawn_by_exec();
  run("spawn_by_exec");
  constellation::this_process::spawn_by_exec(false);
  run("spawn_by_exec(false)");
  std::cout << "three children answered\n";
  return 0;
}
