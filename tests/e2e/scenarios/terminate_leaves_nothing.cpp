// SIGTERM to the bridge ends the whole tree: processes that would sleep forever, at two depths.
// The runner sends SIGTERM once every process has printed "ready", then checks that no process of
// the run is left.
#include "scenario.hpp"
#include "scenarios/sleepers.hpp"

using namespace e2e::sleepers;

CONSTELLATION_SCENARIO(terminate_leaves_nothing) {
  constellation::spawn({}, sleeper);
  constellation::spawn({}, sleeper);
  constellation::spawn({}, sleeper_with_child);
  ready_then_sleep();
}
