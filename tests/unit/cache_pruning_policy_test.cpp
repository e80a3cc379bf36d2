// Which binaries a cache lets go (cluster/cache_pruning_policy.hpp): the clock is a time point the
// test chooses, the cache a list of entries.
#include "cluster/cache_pruning_policy.hpp"

#include <doctest/doctest.h>

#include <constellation/resources.hpp>

using constellation::MiB;
using constellation::cluster::cache_bounds;
using constellation::cluster::cache_pruning_policy;
using namespace std::chrono_literals;

namespace {

using entry = cache_pruning_policy::entry;
using reason = cache_pruning_policy::reason;

// The fake clock's "now": any fixed point will do.
const cache_pruning_policy::clock::time_point now{std::chrono::seconds(1'700'000'000)};

cache_pruning_policy policy(std::optional<std::uint64_t> max_bytes,
                            std::optional<std::chrono::seconds> max_age) {
  return cache_pruning_policy(cache_bounds{max_bytes, max_age});
}

// The ids chosen, in the order chosen.
std::vector<std::string> chosen(const cache_pruning_policy& p, std::vector<entry> entries) {
  std::vector<std::string> ids;
  for (const auto& e : p.choose(std::move(entries), now)) ids.push_back(e.what.id);
  return ids;
}

}  // namespace

TEST_CASE("cache pruning: a cache within its bounds keeps everything") {
  const auto p = policy(100 * MiB, std::chrono::days(7));
  CHECK(chosen(p, {}).empty());
  CHECK(
      chosen(p, {{"a", 60 * MiB, now - 1h, false}, {"b", 40 * MiB, now - 6 * 24h, false}}).empty());
}

TEST_CASE("cache pruning: above the size bound, the least recently used go first, until it fits") {
  const auto p = policy(100 * MiB, std::nullopt);
  const std::vector<entry> entries{{"newest", 50 * MiB, now - 1min, false},
                                   {"oldest", 30 * MiB, now - 3h, false},
                                   {"middle", 40 * MiB, now - 2h, false}};
  // 120 MiB: removing the oldest (30) leaves 90, within the bound.
  CHECK(chosen(p, entries) == std::vector<std::string>{"oldest"});
  // With a 60 MiB bound, the oldest and the next: 50 left.
  CHECK(chosen(policy(60 * MiB, std::nullopt), entries) ==
        std::vector<std::string>{"oldest", "middle"});
  const auto evictions = p.choose(entries, now);
  REQUIRE(evictions.size() == 1);
  CHECK(evictions[0].why == reason::over_size);
  CHECK(evictions[0].what.bytes == 30 * MiB);
}

TEST_CASE(
    "cache pruning: a binary in use is never removed, even when the cache stays above its bound") {
  const auto p = policy(100 * MiB, std::chrono::days(1));
  // The oldest is in use: the next one goes instead, and in-use bytes still count.
  CHECK(chosen(p, {{"running", 80 * MiB, now - 10 * 24h, true},
                   {"idle", 30 * MiB, now - 1h, false},
                   {"fresh", 10 * MiB, now, false}}) == std::vector<std::string>{"idle"});
  // Everything in use: nothing goes, though the cache holds three times its bound.
  CHECK(chosen(p, {{"a", 150 * MiB, now - 30 * 24h, true}, {"b", 150 * MiB, now - 1h, true}})
            .empty());
  // One binary larger than the whole bound stays while in use, and goes once unused.
  CHECK(chosen(p, {{"huge", 200 * MiB, now, true}}).empty());
  CHECK(chosen(p, {{"huge", 200 * MiB, now, false}}) == std::vector<std::string>{"huge"});
}

TEST_CASE("cache pruning: binaries unused for longer than the age bound go, whatever the size") {
  const auto p = policy(std::nullopt, std::chrono::days(7));
  const auto evictions = p.choose({{"week", 1, now - 7 * 24h, false},
                                   {"week and a second", 1, now - 7 * 24h - 1s, false},
                                   {"month", 1, now - 30 * 24h, false},
                                   {"month, running", 1, now - 30 * 24h, true}},
                                  now);
  REQUIRE(evictions.size() == 2);
  // Exactly the bound is not longer than it.
  CHECK(evictions[0].what.id == "month");
  CHECK(evictions[1].what.id == "week and a second");
  CHECK(evictions[0].why == reason::unused_too_long);
  CHECK(evictions[1].why == reason::unused_too_long);
}

TEST_CASE(
    "cache pruning: old binaries go first, and what they free counts towards the size bound") {
  const std::vector<entry> entries{{"stale", 40 * MiB, now - 8 * 24h, false},
                                   {"older", 30 * MiB, now - 2 * 24h, false},
                                   {"recent", 50 * MiB, now - 1h, false},
                                   {"new", 20 * MiB, now, false}};
  const auto evictions = policy(100 * MiB, std::chrono::days(7)).choose(entries, now);
  // 140 MiB; the stale one goes for its age (100 left): within the bound, nothing more.
  REQUIRE(evictions.size() == 1);
  CHECK(evictions[0].what.id == "stale");
  // With a tighter bound the size pass goes on from the least recently used left.
  const auto tighter = policy(60 * MiB, std::chrono::days(7)).choose(entries, now);
  REQUIRE(tighter.size() == 3);
  CHECK(tighter[0].what.id == "stale");
  CHECK(tighter[0].why == reason::unused_too_long);
  CHECK(tighter[1].what.id == "older");
  CHECK(tighter[1].why == reason::over_size);
  CHECK(tighter[2].what.id == "recent");
}

TEST_CASE(
    "cache pruning: without bounds nothing goes, ties go by id, and a use after now counts as "
    "now") {
  CHECK(chosen(policy(std::nullopt, std::nullopt), {{"a", 1ull << 40, now - 3650 * 24h, false}})
            .empty());
  // Two binaries last used at the same moment: the choice does not depend on their order.
  const auto p = policy(10, std::nullopt);
  CHECK(chosen(p, {{"b", 10, now - 1h, false}, {"a", 10, now - 1h, false}}) ==
        std::vector<std::string>{"a"});
  CHECK(chosen(p, {{"a", 10, now - 1h, false}, {"b", 10, now - 1h, false}}) ==
        std::vector<std::string>{"a"});
  // The clock was set back a day: a binary "used tomorrow" is not old, and is the most recent.
  const auto aged = policy(15, std::chrono::hours(1));
  CHECK(chosen(aged, {{"tomorrow", 10, now + 24h, false}, {"today", 10, now - 1min, false}}) ==
        std::vector<std::string>{"today"});
}
