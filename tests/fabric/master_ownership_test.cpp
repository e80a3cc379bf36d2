#include "ownership/master_ownership.hpp"

#include <doctest/doctest.h>

using constellation::fabric::master_ownership;
using namespace std::chrono_literals;

TEST_CASE("master ownership: the first master keeps the node while its link is up") {
  master_ownership node(10s);
  const master_ownership::clock::time_point t0{};
  CHECK(node.claim("10.0.0.1:7001", t0).accepted);
  CHECK(node.owner() == "10.0.0.1:7001");
  const auto second = node.claim("10.0.0.9:7001", t0 + 1h);
  CHECK_FALSE(second.accepted);
  CHECK(second.problem.find("belongs to master 10.0.0.1:7001, whose link is up") !=
        std::string::npos);
  CHECK(second.problem.find("nodes.toml") != std::string::npos);
  CHECK(node.owner() == "10.0.0.1:7001");
}

TEST_CASE("master ownership: the owner comes back at once, another only after the grace") {
  master_ownership node(10s);
  const master_ownership::clock::time_point t0{};
  REQUIRE(node.claim("10.0.0.1:7001", t0).accepted);
  node.lost(t0 + 1s);
  // Within the grace: the owner is back (a restart, a cut), another is refused.
  const auto early = node.claim("10.0.0.9:7001", t0 + 10s);
  CHECK_FALSE(early.accepted);
  CHECK(early.problem.find("lost less than 10 s ago") != std::string::npos);
  const auto back = node.claim("10.0.0.1:7001", t0 + 10s);
  CHECK(back.accepted);
  CHECK(back.previous_owner.empty());
  // Lost again, and gone past the grace: another master takes the node, and the old one is now
  // the one refused.
  node.lost(t0 + 20s);
  CHECK_FALSE(node.claim("10.0.0.9:7001", t0 + 29s).accepted);
  const auto taken = node.claim("10.0.0.9:7001", t0 + 30s);
  CHECK(taken.accepted);
  CHECK(taken.previous_owner == "10.0.0.1:7001");
  CHECK(node.owner() == "10.0.0.9:7001");
  CHECK_FALSE(node.claim("10.0.0.1:7001", t0 + 31s).accepted);
}
