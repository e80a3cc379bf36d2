// Reduce sides within a memory limit: a table that outgrows it is split by a second hash into
// buckets on disk, each bucket gathered in turn (and split again when it outgrows the limit in its
// turn). What comes out is what a table without a limit gives, and the disk was used.
#include "stub_task_context.hpp"
#include "vector_node.hpp"

#include <constellation/dataflow/aggregations.hpp>
#include <constellation/dataflow/bounded_aggregation.hpp>
#include <constellation/dataflow/bounded_join.hpp>

#include <doctest/doctest.h>

#include <algorithm>
#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

using namespace dataflow_test;

namespace {

// Sums values, counting how often a bucket's aggregates were merged.
struct summing {
  std::uint64_t start(std::uint64_t&& v) const { return v; }
  std::size_t fold(std::uint64_t& sum, std::uint64_t&& v) const {
    sum += v;
    return 0;
  }
  void merge(std::uint64_t& sum, std::uint64_t&& other) const { sum += other; }
};

std::map<std::uint64_t, std::uint64_t> aggregate(
    const std::vector<std::pair<std::uint64_t, std::uint64_t>>& input, std::size_t limit,
    stub_task_context& tc) {
  const summing policy;
  detail::bounded_aggregation<std::uint64_t, std::uint64_t, summing> sums(tc, policy, limit);
  for (const auto& [k, v] : input) sums.add(k, [&] { return v; });
  std::map<std::uint64_t, std::uint64_t> out;
  sums.finish([&](std::pair<std::uint64_t, std::uint64_t>&& e) {
    CHECK(out.emplace(e.first, e.second).second);
  });
  return out;
}

}  // namespace

TEST_CASE(
    "bounded aggregation: keys far beyond the limit are gathered in buckets, split again where "
    "needed") {
  std::vector<std::pair<std::uint64_t, std::uint64_t>> input;
  std::map<std::uint64_t, std::uint64_t> expected;
  for (std::uint64_t i = 0; i < 300000; ++i) {
    const std::uint64_t key = (i * 7919) % 120000;
    input.emplace_back(key, i);
    expected[key] += i;
  }
  stub_task_context tc;
  // 64 KiB: the first split leaves buckets of about 7500 keys, each split once more.
  CHECK(aggregate(input, 64 << 10, tc) == expected);
  CHECK(tc.spilled > 0);

  stub_task_context roomy;
  CHECK(aggregate(input, 256 << 20, roomy) == expected);
  CHECK(roomy.spilled == 0);
}

TEST_CASE("bounded aggregation: one key with more values than the limit still comes out whole") {
  std::vector<std::pair<std::uint64_t, std::uint64_t>> input;
  for (std::uint64_t i = 0; i < 20000; ++i) input.emplace_back(i % 1000 == 0 ? i : 42, 1);
  stub_task_context tc;
  const auto out = aggregate(input, 4 << 10, tc);
  CHECK(out.size() == 21);  // 42, and 0, 1000, ..., 19000
  CHECK(out.at(42) == 20000 - 20);
}

TEST_CASE("group_by_key beyond its share of the budget: every group whole, from disk") {
  auto driver = idle_driver();
  std::vector<std::pair<std::uint64_t, std::string>> input;
  std::map<std::uint64_t, std::vector<std::string>> expected;
  for (std::uint64_t i = 0; i < 200000; ++i) {
    const std::uint64_t key = (i * 104729) % 70000;
    input.emplace_back(key, "v" + std::to_string(i));
    expected[key].push_back(input.back().second);
  }
  auto source =
      std::make_shared<vector_node<std::pair<std::uint64_t, std::string>>>(driver, input, 3, 1000);
  detail::group_by_key_node<std::uint64_t, std::string> groups(source, 1);
  stub_task_context tc;
  tc.budget = 4u << 20;  // a table of 1 MiB: the groups take several
  for (std::size_t t = 0; t < 3; ++t) groups.write(tc, *source, t, {groups.id(), 1, {}});
  std::map<std::uint64_t, std::vector<std::string>> got;
  groups.compute(tc, 0, [&](std::span<std::pair<std::uint64_t, std::vector<std::string>>> batch) {
    for (auto& [key, values] : batch) {
      std::sort(values.begin(), values.end());
      CHECK(got.emplace(key, std::move(values)).second);
    }
  });
  for (auto& [key, values] : expected) std::sort(values.begin(), values.end());
  CHECK(got == expected);
  CHECK(tc.spilled > 0);
}

TEST_CASE(
    "bounded join: a right side beyond the limit is joined bucket by bucket, outer rows too") {
  stub_task_context tc;
  detail::bounded_join<std::uint64_t, std::uint64_t, std::uint64_t, true> join(tc, 64 << 10);
  std::map<std::uint64_t, std::vector<std::uint64_t>> right;
  for (std::uint64_t i = 0; i < 60000; ++i) {
    const std::uint64_t key = (i * 31) % 20000 * 2;  // even keys, three rows each
    right[key].push_back(i);
    join.add_right(std::uint64_t(key), std::uint64_t(i));
  }
  join.seal();
  using out_row = detail::join_output<std::uint64_t, std::uint64_t, std::uint64_t, true>;
  std::vector<out_row> rows;
  // Named: a batch_sink refers to its function, which must outlive the buffer.
  auto collect = [&](std::span<out_row> batch) {
    rows.insert(rows.end(), batch.begin(), batch.end());
  };
  detail::batch_buffer<out_row> out(collect);
  std::vector<std::pair<std::uint64_t, std::uint64_t>> left;
  std::size_t expected_rows = 0, expected_missing = 0;
  for (std::uint64_t i = 0; i < 30000; ++i) {
    left.emplace_back(i % 25000, i);  // odd keys have no right rows
    const auto match = right.find(i % 25000);
    if (match == right.end())
      ++expected_missing;
    else
      expected_rows += match->second.size();
  }
  join.add_left(std::span<std::pair<std::uint64_t, std::uint64_t>>(left), out);
  join.finish(out);
  out.flush();
  CHECK(tc.spilled > 0);
  CHECK(rows.size() == expected_rows + expected_missing);
  std::size_t missing = 0;
  for (const auto& [key, values] : rows) {
    if (!values.second) {
      ++missing;
      CHECK(key % 2 == 1);
      continue;
    }
    const auto& candidates = right.at(key);
    CHECK(std::find(candidates.begin(), candidates.end(), *values.second) != candidates.end());
    CHECK(values.first % 25000 == key);
  }
  CHECK(missing == expected_missing);
}
