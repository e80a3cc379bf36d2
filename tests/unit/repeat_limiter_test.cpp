#include "cluster/repeat_limiter.hpp"

#include <doctest/doctest.h>

using constellation::cluster::repeat_limiter;
using namespace std::chrono_literals;

TEST_CASE("repeat limiter: the first occurrence per key is logged, repeats are counted") {
  repeat_limiter limiter(60s);
  const repeat_limiter::clock::time_point t0{};
  const auto first = limiter.occurred("10.0.0.2", t0);
  CHECK(first.log);
  CHECK(first.held_back == 0);
  CHECK(repeat_limiter::note(first).empty());
  for (int i = 1; i <= 5; ++i) CHECK_FALSE(limiter.occurred("10.0.0.2", t0 + i * 1s).log);
  // Another key is its own.
  CHECK(limiter.occurred("10.0.0.3", t0 + 2s).log);
  // An interval after the last line: logged, with the count of what was held back.
  const auto later = limiter.occurred("10.0.0.2", t0 + 60s);
  CHECK(later.log);
  CHECK(later.held_back == 5);
  CHECK(repeat_limiter::note(later) == " (and 5 more like it since the last such line)");
  // And the interval starts again from that line.
  CHECK_FALSE(limiter.occurred("10.0.0.2", t0 + 61s).log);
  const auto again = limiter.occurred("10.0.0.2", t0 + 121s);
  CHECK(again.log);
  CHECK(again.held_back == 1);
}

TEST_CASE("repeat limiter: memory stays bounded under many distinct keys") {
  repeat_limiter limiter(10s, 4);
  const repeat_limiter::clock::time_point t0{};
  for (int i = 0; i < 100; ++i)
    CHECK(limiter.occurred("peer " + std::to_string(i), t0 + i * 1ms).log);
  // A key forgotten is logged again at its next occurrence: never silence for ever.
  CHECK(limiter.occurred("peer 0", t0 + 1s).log);
}
