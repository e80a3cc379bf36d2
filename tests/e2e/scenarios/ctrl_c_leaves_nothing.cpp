// Ctrl-C in the terminal (SIGINT to the whole process group) ends the whole tree.
#include "scenario.hpp"
#include "scenarios/sleepers.hpp"

using namespace e2e::sleepers;

CONSTELLATION_SCENARIO(ctrl_c_leaves_nothing) {
  constellation::spawn({}, sleeper);
  constellation::spawn({}, sleeper_with_child);
  ready_then_sleep();
}
