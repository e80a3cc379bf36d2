// The join's build side: every row of a key is found, once, whether the key has one row or many,
// and probes of a batch find what single probes find.
#include <constellation/dataflow/join_table.hpp>

#include <doctest/doctest.h>

#include <algorithm>
#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

using constellation::dataflow::detail::join_table;

TEST_CASE("join_table: a probe finds every row of its key, the last one marked") {
  join_table<std::uint64_t, std::string> table;
  std::map<std::uint64_t, std::vector<std::string>> expected;
  for (std::uint64_t i = 0; i < 20000; ++i) {
    const std::uint64_t key = i % 3 == 0 ? i : i % 97;  // keys with one row, keys with many
    const auto row = std::to_string(i);
    expected[key].push_back(row);
    table.add(std::uint64_t(key), std::string(row));
  }
  table.seal();
  CHECK(table.rows() == 20000);
  CHECK(table.keys() == expected.size());
  for (const auto& [key, rows] : expected) {
    std::vector<std::string> found;
    std::size_t lasts = 0;
    CHECK(table.probe(key, [&](const std::string& row, bool last) {
      found.push_back(row);
      lasts += last;
      CHECK(last == (found.size() == rows.size()));
    }));
    std::sort(found.begin(), found.end());
    auto sorted = rows;
    std::sort(sorted.begin(), sorted.end());
    CHECK(found == sorted);
    CHECK(lasts == 1);
  }
  CHECK_FALSE(table.probe(std::uint64_t(20001), [](const std::string&, bool) {}));
}

TEST_CASE("join_table: probe_all over a batch matches single probes and names the missing") {
  join_table<std::string, int> table;
  for (int i = 0; i < 1000; ++i) table.add("k" + std::to_string(i % 300), int(i));
  table.seal();
  std::vector<std::pair<std::string, int>> batch;
  for (int i = 0; i < 500; ++i) batch.emplace_back("k" + std::to_string(i), i);
  std::map<std::string, int> matched;
  std::vector<std::string> missing;
  table.probe_all(
      std::span<std::pair<std::string, int>>(batch),
      [](const auto& left) -> const std::string& { return left.first; },
      [&](auto& left, const int&, bool) { ++matched[left.first]; },
      [&](auto& left) { missing.push_back(left.first); });
  CHECK(matched.size() == 300);
  for (const auto& [key, n] : matched) CHECK(n == (std::stoi(key.substr(1)) < 100 ? 4 : 3));
  CHECK(missing.size() == 200);
}
