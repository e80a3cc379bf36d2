// The combiners' and reduce sides' table: every key once with its values merged, whether it stays
// a hash table or turns into an array indexed by dense integer keys, across the switch, a widening
// of the array's range and a fall back to hashing; and the direct array on its own.
#include <constellation/dataflow/direct_table.hpp>
#include <constellation/dataflow/keyed_table.hpp>

#include <doctest/doctest.h>

#include <cstdint>
#include <limits>
#include <map>
#include <span>
#include <string>
#include <utility>
#include <vector>

using constellation::dataflow::detail::direct_table;
using constellation::dataflow::detail::keyed_table;

namespace {

using entry = std::pair<std::uint64_t, std::uint64_t>;
const auto add = [](std::uint64_t a, std::uint64_t b) { return a + b; };

// Adds the pairs in batches of 1000, as a combiner does, and checks against a std::map.
std::map<std::uint64_t, std::uint64_t> add_in_batches(keyed_table<std::uint64_t, std::uint64_t>& t,
                                                      const std::vector<entry>& pairs,
                                                      std::map<std::uint64_t, std::uint64_t>& m) {
  for (std::size_t at = 0; at < pairs.size(); at += 1000) {
    std::vector<entry> batch(pairs.begin() + at, pairs.begin() + std::min(pairs.size(), at + 1000));
    t.add_all(std::span<entry>(batch), add);
  }
  for (const auto& [k, v] : pairs) m[k] += v;
  return m;
}

std::map<std::uint64_t, std::uint64_t> drained(keyed_table<std::uint64_t, std::uint64_t>& t) {
  std::map<std::uint64_t, std::uint64_t> out;
  t.drain([&](entry&& e) { CHECK(out.emplace(e.first, e.second).second); });
  CHECK(t.size() == 0);
  return out;
}

}  // namespace

TEST_CASE("direct_table: values by key over a range that widens, drained in key order") {
  direct_table<std::string> table;
  table.cover(100, 10);
  CHECK(table.covers(100));
  CHECK(table.covers(109));
  CHECK_FALSE(table.covers(110));
  CHECK_FALSE(table.covers(99));
  CHECK(table.find_or_insert(105, [] { return std::string("a"); }).second);
  CHECK_FALSE(table.find_or_insert(105, [] { return std::string("b"); }).second);
  table.find_or_insert(100, [] { return std::string("c"); });
  table.cover(50, 100);  // keeps what it holds
  CHECK(table.covers(50));
  CHECK(table.covers(149));
  table.find_or_insert(60, [] { return std::string("d"); });
  CHECK(table.size() == 3);
  std::vector<std::pair<std::uint64_t, std::string>> out;
  table.drain([&](std::uint64_t k, std::string&& v) { out.emplace_back(k, std::move(v)); });
  CHECK(out ==
        std::vector<std::pair<std::uint64_t, std::string>>{{60, "d"}, {100, "c"}, {105, "a"}});
  CHECK(table.size() == 0);
  CHECK(table.find_or_insert(105, [] { return std::string("e"); }).second);
}

TEST_CASE("keyed_table: dense integer keys are indexed directly, with every value merged") {
  keyed_table<std::uint64_t, std::uint64_t> table;
  std::vector<entry> pairs;
  for (std::uint64_t i = 0; i < 200000; ++i) pairs.emplace_back((i * 7919) % 50000 + 1000, i);
  std::map<std::uint64_t, std::uint64_t> expected;
  add_in_batches(table, pairs, expected);
  CHECK(table.direct());
  CHECK(table.size() == expected.size());
  CHECK(drained(table) == expected);
  // The range stays for the next entries, and the table still merges.
  pairs.assign({{1500, 1}, {1500, 2}, {3, 4}});
  expected.clear();
  add_in_batches(table, pairs, expected);
  CHECK(drained(table) == expected);
}

TEST_CASE("keyed_table: sparse integer keys stay hashed") {
  keyed_table<std::uint64_t, std::uint64_t> table;
  std::vector<entry> pairs;
  for (std::uint64_t i = 0; i < 100000; ++i) pairs.emplace_back((i % 20000) * 1000003, 1);
  std::map<std::uint64_t, std::uint64_t> expected;
  add_in_batches(table, pairs, expected);
  CHECK_FALSE(table.direct());
  CHECK(drained(table) == expected);
}

TEST_CASE("keyed_table: a direct table widens both ways, and hashes for good past its bound") {
  keyed_table<std::uint64_t, std::uint64_t> table;
  std::vector<entry> pairs;
  for (std::uint64_t i = 0; i < 20000; ++i) pairs.emplace_back(100000 + i % 10000, 1);
  for (std::uint64_t i = 0; i < 50000; ++i) pairs.emplace_back(100000 - i, 2);  // below, in order
  for (std::uint64_t i = 0; i < 50000; ++i) pairs.emplace_back(110000 + i, 3);  // above
  std::map<std::uint64_t, std::uint64_t> expected;
  add_in_batches(table, pairs, expected);
  CHECK(table.direct());
  CHECK(table.size() == expected.size());
  // A key far away: the entries move to a hash table, none lost, and merging goes on.
  pairs.assign({{std::uint64_t(1) << 60, 5}, {100000, 7}, {std::uint64_t(1) << 60, 1}});
  add_in_batches(table, pairs, expected);
  CHECK_FALSE(table.direct());
  CHECK(drained(table) == expected);
  // Hashed for good: dense keys after a release stay hashed.
  table.release();
  expected.clear();
  pairs.clear();
  for (std::uint64_t i = 0; i < 20000; ++i) pairs.emplace_back(i, 1);
  add_in_batches(table, pairs, expected);
  CHECK_FALSE(table.direct());
  CHECK(drained(table) == expected);
}

TEST_CASE("keyed_table: single lookups, keys at the top of the range, and small key types") {
  keyed_table<std::uint64_t, std::uint64_t> top;
  const std::uint64_t max = std::numeric_limits<std::uint64_t>::max();
  std::map<std::uint64_t, std::uint64_t> expected;
  for (std::uint64_t i = 0; i < 30000; ++i) {
    const std::uint64_t key = max - i % 9000;
    auto found = top.find_or_insert(std::uint64_t(key), [] { return std::uint64_t(0); });
    *found.value += i;
    expected[key] += i;
  }
  CHECK(top.direct());
  CHECK(drained(top) == expected);

  keyed_table<std::uint32_t, int> small;
  for (std::uint32_t i = 0; i < 30000; ++i)
    ++*small.find_or_insert(std::uint32_t(4000000000u + i % 7000), [] { return 0; }).value;
  CHECK(small.direct());
  std::size_t keys = 0;
  small.drain([&](std::pair<std::uint32_t, int>&& e) {
    CHECK(e.first >= 4000000000u);
    CHECK(e.second == (e.first - 4000000000u < 30000 % 7000 ? 5 : 4));
    ++keys;
  });
  CHECK(keys == 7000);
}

TEST_CASE("keyed_table: other keys are hashed, looked up by a view") {
  keyed_table<std::string, int> table;
  table.reserve(100000);
  for (int round = 0; round < 3; ++round)
    for (int i = 0; i < 1000; ++i) {
      const std::string word = "word" + std::to_string(i);
      auto found = table.find_or_insert(std::string_view(word), [] { return 0; });
      CHECK((found.key != nullptr && *found.key == word));
      CHECK(found.inserted == (round == 0));
      ++*found.value;
    }
  CHECK(table.size() == 1000);
  bool all_three = true;
  table.drain([&](std::pair<std::string, int>&& e) { all_three = all_three && e.second == 3; });
  CHECK(all_three);
}
