// How long a waiting thread spins: never in a process held to less than one core, whose spinning
// the kernel's CPU quota would punish with a stop of up to a period; as configured otherwise.
#include "channel/spin_policy.hpp"

#include <doctest/doctest.h>

#include <cstdlib>

using constellation::channel::spin_policy;

TEST_CASE("spin policy: a process limited to less than one core never spins") {
  if (const char* v = std::getenv("CONSTELLATION_SPIN_US"); v && *v) {
    MESSAGE("skipped: CONSTELLATION_SPIN_US is set");
    return;
  }
  spin_policy::limit_to_cpu_share(1);
  CHECK(spin_policy::bound().count() > 0);
  spin_policy::limit_to_cpu_share(0.5);
  CHECK(spin_policy::bound().count() == 0);
  spin_policy::limit_to_cpu_share(0.0625);
  CHECK(spin_policy::bound().count() == 0);
  spin_policy::limit_to_cpu_share(2);
  CHECK(spin_policy::bound().count() > 0);
}
