// The combiners' table: every key once, its values merged, across growth and after a drain.
#include <constellation/dataflow/flat_table.hpp>

#include <doctest/doctest.h>

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

using constellation::dataflow::detail::flat_table;

TEST_CASE("flat_table: merges the values of each key, across growth, and drains every entry once") {
  flat_table<std::uint64_t, std::uint64_t> table;
  std::map<std::uint64_t, std::uint64_t> expected;
  const auto add = [](std::uint64_t a, std::uint64_t b) { return a + b; };
  for (std::uint64_t i = 0; i < 100000; ++i) {
    const std::uint64_t key = (i * 7919) % 30011;
    table.add(std::uint64_t(key), std::uint64_t(i), add);
    expected[key] += i;
  }
  CHECK(table.size() == expected.size());
  std::map<std::uint64_t, std::uint64_t> drained;
  table.drain([&](std::pair<std::uint64_t, std::uint64_t>&& e) {
    CHECK(drained.emplace(e.first, e.second).second);
  });
  CHECK(drained == expected);
  CHECK(table.size() == 0);
  table.add(5, 1, add);
  table.add(5, 2, add);
  std::size_t entries = 0;
  table.drain([&](std::pair<std::uint64_t, std::uint64_t>&& e) {
    CHECK(e == std::pair<std::uint64_t, std::uint64_t>(5, 3));
    ++entries;
  });
  CHECK(entries == 1);
}

TEST_CASE("flat_table: string keys are compared, not only hashed") {
  flat_table<std::string, int> table;
  const auto add = [](int a, int b) { return a + b; };
  for (int round = 0; round < 3; ++round)
    for (int i = 0; i < 1000; ++i) table.add("word" + std::to_string(i), 1, add);
  CHECK(table.size() == 1000);
  bool all_three = true;
  table.drain([&](std::pair<std::string, int>&& e) { all_three = all_three && e.second == 3; });
  CHECK(all_three);
}

TEST_CASE(
    "flat_table: lookups stay short, also for entries drained from another table in its order") {
  flat_table<std::uint64_t, double> first;
  const auto add = [](double a, double b) { return a + b; };
  for (std::uint64_t k = 0; k < 200000; ++k) first.add(std::uint64_t(k), 1.0, add);
  CHECK(first.mean_probes() < 2.0);
  flat_table<std::uint64_t, double> second;  // grows while the first's entries arrive slot by slot
  first.drain([&](std::pair<std::uint64_t, double>&& e) {
    second.add(std::move(e.first), std::move(e.second), add);
  });
  CHECK(second.size() == 200000);
  CHECK(second.mean_probes() < 2.0);
}

TEST_CASE("flat_table: a string key is found by its view, and made only when it is new") {
  flat_table<std::string, int> table;
  int made = 0;
  for (std::string_view word : {"alpha", "beta", "alpha", "a word longer than any small string",
                                "beta", "a word longer than any small string"}) {
    auto [e, inserted] = table.find_or_insert(word, table.hash_of(word), [&] {
      ++made;
      return std::pair<std::string, int>(std::string(word), 0);
    });
    CHECK(inserted == (e->second == 0));
    ++e->second;
  }
  CHECK(made == 3);
  const std::string alpha = "alpha";
  REQUIRE(table.find(alpha, table.hash_of(alpha)) != nullptr);
  CHECK(table.find(alpha, table.hash_of(alpha))->second == 2);
  CHECK(table.find(std::string_view("gamma"), table.hash_of(std::string_view("gamma"))) == nullptr);
}
