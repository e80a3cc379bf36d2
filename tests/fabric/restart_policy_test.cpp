// When the master restarts its bridge: at once-ish, then backing off while it keeps failing, and
// from the start again after a run that lasted.
#include "supervision/restart_policy.hpp"

#include <doctest/doctest.h>

using constellation::fabric::restart_policy;
using std::chrono::milliseconds;

TEST_CASE("restart policy: the delay doubles while runs stay short, up to the longest") {
  const restart_policy policy;
  auto delay = policy.next_delay(milliseconds(0), milliseconds(10));
  CHECK(delay == milliseconds(500));
  const milliseconds expected[] = {milliseconds(1000), milliseconds(2000),  milliseconds(4000),
                                   milliseconds(8000), milliseconds(16000), milliseconds(30000),
                                   milliseconds(30000)};
  for (const auto want : expected) {
    delay = policy.next_delay(delay, milliseconds(100));
    CHECK(delay == want);
  }
}

TEST_CASE("restart policy: a run as long as stable_run starts the delays afresh") {
  const restart_policy policy{.first_delay = milliseconds(100),
                              .longest_delay = milliseconds(1000),
                              .stable_run = milliseconds(5000)};
  CHECK(policy.next_delay(milliseconds(800), milliseconds(4999)) == milliseconds(1000));
  CHECK(policy.next_delay(milliseconds(800), milliseconds(5000)) == milliseconds(100));
  CHECK(policy.next_delay(milliseconds(1000), milliseconds(60000)) == milliseconds(100));
}
