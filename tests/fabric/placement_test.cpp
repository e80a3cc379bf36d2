#include "placement/placement.hpp"

#include <doctest/doctest.h>

#include <cmath>
#include <limits>
#include <stdexcept>
#include <vector>

using namespace constellation;
using namespace constellation::fabric;
using namespace constellation::literals;

namespace {

using outcome = placement::outcome;
using admission = placement::admission;

// The cluster of nodes.example.toml: 2 GiB/2 cores, 1 GiB/1 core, 512 MiB/0.5 core.
placement example_cluster() {
  placement p;
  p.add_node(to_capacity({2_GiB, 2}));
  p.add_node(to_capacity({1_GiB, 1}));
  p.add_node(to_capacity({512_MiB, 0.5}));
  return p;
}

// The node a request is placed on, failing the test when it is not placed.
std::size_t placed_on(placement& p, const resources& r, bool wait = false) {
  const auto d = p.request(r, wait);
  REQUIRE(d.what == outcome::placed);
  return d.node;
}

std::uint64_t queued(placement& p, const resources& r) {
  const auto d = p.request(r, true);
  REQUIRE(d.what == outcome::queued);
  CHECK(d.ticket != 0);
  return d.ticket;
}

}  // namespace

TEST_CASE("to_capacity counts cores in millionths and saturates") {
  CHECK(to_capacity({1_GiB, 1.0 / 16}) == capacity{1_GiB, 62'500});
  CHECK(to_capacity({0, 0.5}).micro_cpu == 500'000);
  CHECK(to_capacity({0, 2}).micro_cpu == 2'000'000);
  CHECK(to_capacity({0, 0}).micro_cpu == 0);
  CHECK(to_capacity({0, -1}).micro_cpu == 0);
  constexpr auto most = std::numeric_limits<std::int64_t>::max();
  CHECK(to_capacity({0, std::nan("")}).micro_cpu == most);
  CHECK(to_capacity({0, 1e300}).micro_cpu == most);
  CHECK(to_capacity({0, std::numeric_limits<double>::infinity()}).micro_cpu == most);
}

TEST_CASE("placement: first fit in configuration order") {
  placement p;
  for (int i = 0; i < 3; ++i) p.add_node(to_capacity({1_GiB, 4}));
  // Node 0 takes requests until it is full, then node 1; node 2 stays whole.
  for (int i = 0; i < 4; ++i) CHECK(placed_on(p, {256_MiB, 0.5}) == 0);
  CHECK(placed_on(p, {256_MiB, 0.5}) == 1);
  // A request that fits the first node again goes back there.
  p.release(0, {256_MiB, 0.5});
  CHECK(placed_on(p, {128_MiB, 0.5}) == 0);
  const auto usage = p.usage();
  CHECK(usage[0].processes == 4);
  CHECK(usage[0].used == capacity{896_MiB, 2'000'000});
  CHECK(usage[1].processes == 1);
  CHECK(usage[2].processes == 0);
  CHECK(usage[2].used == capacity{});
}

TEST_CASE("placement: processes spread when they only fit on different nodes") {
  SUBCASE("one core each: two on node 0, one on node 1, then none fits") {
    placement p = example_cluster();
    CHECK(placed_on(p, {1_GiB, 1}) == 0);
    CHECK(placed_on(p, {1_GiB, 1}) == 0);
    CHECK(placed_on(p, {1_GiB, 1}) == 1);
    CHECK(p.request({1_GiB, 1}, false).what == outcome::no_capacity);
    // Node 2 still has its half core, for a request that fits it.
    CHECK(placed_on(p, {512_MiB, 0.5}) == 2);
  }
  SUBCASE("800 MiB each: memory decides, and later small requests fill the gaps") {
    placement p = example_cluster();
    const resources big{800_MiB, 1.0 / 16};
    CHECK(placed_on(p, big) == 0);
    CHECK(placed_on(p, big) == 0);                              // 1600 of 2048 MiB
    CHECK(placed_on(p, big) == 1);                              // 448 MiB left on node 0
    CHECK(p.request(big, false).what == outcome::no_capacity);  // 448, 224, 512 MiB free
    CHECK(placed_on(p, {400_MiB, 1.0 / 16}) == 0);
    CHECK(placed_on(p, {400_MiB, 1.0 / 16}) == 2);  // node 1 has 224 MiB left
    CHECK(placed_on(p, {200_MiB, 1.0 / 16}) == 1);
  }
  SUBCASE("cpu decides when memory is plentiful") {
    placement p = example_cluster();
    const resources busy{64_MiB, 0.75};
    CHECK(placed_on(p, busy) == 0);
    CHECK(placed_on(p, busy) == 0);  // 0.5 core left
    CHECK(placed_on(p, busy) == 1);  // 0.25 core left
    CHECK(p.request(busy, false).what == outcome::no_capacity);
    CHECK(placed_on(p, {64_MiB, 0.5}) == 0);
    CHECK(placed_on(p, {64_MiB, 0.5}) == 2);
  }
}

TEST_CASE("placement: try is refused while full and succeeds after a release") {
  placement p = example_cluster();
  CHECK(placed_on(p, {2_GiB, 2}) == 0);
  CHECK(placed_on(p, {1_GiB, 1}) == 1);
  CHECK(placed_on(p, {512_MiB, 0.5}) == 2);
  const auto refused = p.request({256_MiB, 0.25}, false);
  CHECK(refused.what == outcome::no_capacity);
  CHECK(refused.ticket == 0);
  CHECK(p.waiting() == 0);  // a refused try leaves nothing behind

  p.release(1, {1_GiB, 1});
  CHECK(p.admit_waiting().empty());
  CHECK(placed_on(p, {256_MiB, 0.25}) == 1);
}

TEST_CASE("placement: waiting requests are admitted first come, first served") {
  placement p;
  p.add_node(to_capacity({1_GiB, 1}));
  CHECK(placed_on(p, {600_MiB, 0.5}) == 0);

  const auto first = queued(p, {600_MiB, 0.5});  // 424 MiB free: does not fit
  // Fits now, yet waits behind the first: were it let through, a stream of small requests could
  // keep the large one waiting forever.
  const auto second = queued(p, {100_MiB, 0.125});
  CHECK(second > first);
  CHECK(p.request({100_MiB, 0.125}, false).what == outcome::no_capacity);
  CHECK(p.waiting() == 2);
  CHECK(p.admit_waiting().empty());  // the head still does not fit, so nothing moves
  CHECK(p.usage()[0].processes == 1);

  p.release(0, {600_MiB, 0.5});
  CHECK(p.admit_waiting() == std::vector<admission>{{first, 0}, {second, 0}});
  CHECK(p.waiting() == 0);
  CHECK(p.usage()[0].used == capacity{700_MiB, 625'000});
  CHECK(p.usage()[0].processes == 2);
  CHECK(p.admit_waiting().empty());

  // With the queue empty, a request that fits is placed at once again.
  CHECK(placed_on(p, {100_MiB, 0.125}, true) == 0);
}

TEST_CASE("placement: admission stops at the first waiting request that does not fit") {
  placement p = example_cluster();
  CHECK(placed_on(p, {2_GiB, 2}) == 0);
  CHECK(placed_on(p, {1_GiB, 1}) == 1);
  CHECK(placed_on(p, {512_MiB, 0.5}) == 2);
  const auto a = queued(p, {512_MiB, 0.5});
  const auto b = queued(p, {2_GiB, 1});
  const auto c = queued(p, {512_MiB, 0.5});

  p.release(2, {512_MiB, 0.5});
  CHECK(p.admit_waiting() == std::vector<admission>{{a, 2}});  // b needs node 0; c waits behind
  p.release(1, {1_GiB, 1});
  CHECK(p.admit_waiting().empty());  // c would fit on node 1 now, but b is ahead
  p.release(0, {2_GiB, 2});
  CHECK(p.admit_waiting() == std::vector<admission>{{b, 0}, {c, 1}});
}

TEST_CASE("placement: a request larger than every node never fits") {
  placement p = example_cluster();
  CHECK(p.request({3_GiB, 1}, true).what == outcome::never_fits);
  CHECK(p.request({1_GiB, 2.5}, false).what == outcome::never_fits);
  CHECK(p.waiting() == 0);  // nothing queued for it
  // Exactly the largest node fits.
  CHECK(placed_on(p, {2_GiB, 2}) == 0);

  // Memory and CPU must fit on one node together.
  placement lopsided;
  lopsided.add_node(to_capacity({4_GiB, 1}));
  lopsided.add_node(to_capacity({1_GiB, 4}));
  CHECK(lopsided.request({2_GiB, 2}, true).what == outcome::never_fits);
  CHECK(lopsided.request({2_GiB, 1}, true).what == outcome::placed);
  CHECK(lopsided.request({1_GiB, 2}, true).what == outcome::placed);

  placement empty;
  CHECK(empty.request({1, 0}, true).what == outcome::never_fits);
}

TEST_CASE("placement: never_fits is answered at once even while others wait") {
  placement p = example_cluster();
  CHECK(placed_on(p, {2_GiB, 2}) == 0);
  CHECK(placed_on(p, {1_GiB, 1}) == 1);
  queued(p, {2_GiB, 2});
  CHECK(p.request({4_GiB, 1}, true).what == outcome::never_fits);
  CHECK(p.waiting() == 1);
}

TEST_CASE("placement: nodes that are down take nothing but still count for never_fits") {
  placement p = example_cluster();
  p.set_up(0, false);
  CHECK(placed_on(p, {1_GiB, 1}) == 1);
  // Only node 0 could hold this; it is down, so the request waits rather than failing.
  CHECK(p.request({1536_MiB, 1}, false).what == outcome::no_capacity);
  const auto ticket = queued(p, {1536_MiB, 1});
  CHECK(p.usage()[0].up == false);

  p.set_up(0, true);
  CHECK(p.admit_waiting() == std::vector<admission>{{ticket, 0}});

  // All down: small requests wait, and too large ones still never fit.
  placement dark = example_cluster();
  for (std::size_t node = 0; node < 3; ++node) dark.set_up(node, false);
  CHECK(dark.request({1_MiB, 0.01}, false).what == outcome::no_capacity);
  CHECK(dark.request({1_MiB, 0.01}, true).what == outcome::queued);
  CHECK(dark.request({3_GiB, 1}, true).what == outcome::never_fits);
  dark.set_up(2, true);
  CHECK(dark.admit_waiting().size() == 1);

  // A node that goes down keeps its reservations until they are released.
  placement lost = example_cluster();
  CHECK(placed_on(lost, {1_GiB, 1}) == 0);
  lost.set_up(0, false);
  CHECK(lost.usage()[0].processes == 1);
  lost.release(0, {1_GiB, 1});
  CHECK(lost.usage()[0].used == capacity{});

  // A node added down takes nothing until it is up.
  placement late;
  late.add_node(to_capacity({1_GiB, 1}), false);
  CHECK(late.request({1_MiB, 0.5}, false).what == outcome::no_capacity);
  late.set_up(0, true);
  CHECK(placed_on(late, {1_MiB, 0.5}) == 0);
}

TEST_CASE("placement: sixteen sixteenths of a core fill exactly one core") {
  placement p;
  p.add_node(to_capacity({16_GiB, 1}));
  for (int i = 0; i < 16; ++i) {
    CAPTURE(i);
    CHECK(placed_on(p, {1_MiB, 1.0 / 16}) == 0);
  }
  CHECK(p.usage()[0].used.micro_cpu == micro_cpu_per_core);
  CHECK(p.request({1_MiB, 1.0 / 16}, false).what == outcome::no_capacity);
  CHECK(p.request({1_MiB, 0}, false).what == outcome::placed);  // no CPU asked, memory left
  for (int i = 0; i < 16; ++i) p.release(0, {1_MiB, 1.0 / 16});
  CHECK(p.usage()[0].used == capacity{1_MiB, 0});

  // Thirds round down to 333333 millionths each, so three of them still fit one core.
  placement thirds;
  thirds.add_node(to_capacity({1_GiB, 1}));
  for (int i = 0; i < 3; ++i) CHECK(placed_on(thirds, {1_MiB, 1.0 / 3}) == 0);
}

TEST_CASE("placement: cancel drops a waiting request") {
  placement p;
  p.add_node(to_capacity({1_GiB, 1}));
  CHECK(placed_on(p, {1_GiB, 1}) == 0);
  const auto a = queued(p, {512_MiB, 0.5});
  const auto b = queued(p, {256_MiB, 0.25});
  CHECK(p.cancel(a));
  CHECK_FALSE(p.cancel(a));    // already cancelled
  CHECK_FALSE(p.cancel(999));  // never issued
  CHECK(p.waiting() == 1);
  p.release(0, {1_GiB, 1});
  CHECK(p.admit_waiting() == std::vector<admission>{{b, 0}});
  CHECK_FALSE(p.cancel(b));  // admitted: its reservation is released, not cancelled
  CHECK(p.usage()[0].used == capacity{256_MiB, 250'000});
}

TEST_CASE("placement: cancelling the head lets the requests behind it in") {
  placement p;
  p.add_node(to_capacity({1_GiB, 1}));
  CHECK(placed_on(p, {768_MiB, 0.5}) == 0);
  const auto big = queued(p, {512_MiB, 0.5});
  const auto small = queued(p, {128_MiB, 0.25});
  CHECK(p.admit_waiting().empty());
  CHECK(p.cancel(big));
  CHECK(p.admit_waiting() == std::vector<admission>{{small, 0}});
}

TEST_CASE("placement: misuse fails at once, naming the call") {
  placement p = example_cluster();
  CHECK_THROWS_AS(p.set_up(3, true), std::out_of_range);
  CHECK_THROWS_AS(p.release(7, {1_MiB, 0.5}), std::out_of_range);
  CHECK_THROWS_WITH_AS(p.release(0, {1_MiB, 0.5}), doctest::Contains("placement::release"),
                       std::logic_error);
  CHECK(placed_on(p, {1_MiB, 0.5}) == 0);
  CHECK_THROWS_AS(p.release(0, {2_MiB, 0.5}), std::logic_error);  // more than was placed
  CHECK(p.usage()[0].processes == 1);                             // and nothing changed
  p.release(0, {1_MiB, 0.5});
  CHECK(p.usage()[0].used == capacity{});
}
