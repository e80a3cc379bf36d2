// Sort splitters: from the samples that map tasks send, take_samples chooses splitters that cut
// the input into balanced partitions, even when every key is equal; the partitions, each sorted
// where it lands, are then the whole input in order.
//
// The samples are written here by hand in the layout sort_node::sample emits (elements seen, then
// (key, index) pairs): the real sample task loads its parent by code reference, which needs a
// registered loader, and a test source has none.
#include "stub_task_context.hpp"
#include "vector_node.hpp"

#include <constellation/dataflow/sort.hpp>

#include <doctest/doctest.h>

#include <algorithm>
#include <cstdint>
#include <random>
#include <vector>

using namespace dataflow_test;

namespace {

using sorter = detail::sort_node<std::uint64_t, detail::whole_key>;

// A map task's sample: `wanted` elements drawn without replacement from its partition of input.
std::string sample_of(const std::vector<std::uint64_t>& input, std::size_t tasks, std::size_t task,
                      std::size_t wanted) {
  const auto [first, last] = detail::slice_of(input.size(), tasks, task);
  std::vector<std::uint64_t> indices(last - first);
  for (std::uint64_t i = 0; i < indices.size(); ++i) indices[i] = i;
  std::mt19937_64 random(task);
  std::shuffle(indices.begin(), indices.end(), random);
  indices.resize(std::min(wanted, indices.size()));
  std::string out;
  detail::encode(out, std::uint64_t(last - first));
  detail::put_varint(out, indices.size());
  for (auto i : indices) {
    detail::encode(out, input[first + i]);
    detail::encode(out, i);
  }
  return out;
}

struct sorted_run {
  std::vector<std::size_t> sizes;     // elements per output partition
  std::vector<std::uint64_t> output;  // the partitions in order
};

// Samples, chooses splitters, runs every map task and computes every output partition.
sorted_run sort_in_process(const std::vector<std::uint64_t>& input, std::size_t tasks,
                           std::size_t partitions, std::size_t wanted) {
  auto driver = idle_driver();
  auto source = std::make_shared<vector_node<std::uint64_t>>(driver, input, tasks, 1000);
  sorter sort(source, partitions);
  REQUIRE(sort.needs_sampling() == (partitions > 1));
  std::vector<std::string> samples;
  for (std::size_t t = 0; t < tasks; ++t) samples.push_back(sample_of(input, tasks, t, wanted));
  sort.take_samples(samples);
  CHECK_FALSE(sort.needs_sampling());

  stub_task_context tc;
  for (std::size_t t = 0; t < tasks; ++t) sort.write(tc, *source, t, {sort.id(), partitions, {}});
  sorted_run run;
  for (std::size_t r = 0; r < partitions; ++r) {
    const auto before = run.output.size();
    sort.compute(tc, r, [&](std::span<std::uint64_t> b) {
      run.output.insert(run.output.end(), b.begin(), b.end());
    });
    run.sizes.push_back(run.output.size() - before);
  }
  return run;
}

void check_balanced(const sorted_run& run, std::size_t total) {
  const double fair = double(total) / double(run.sizes.size());
  for (auto size : run.sizes) {
    CAPTURE(size);
    CHECK(double(size) < 1.5 * fair);
    CHECK(double(size) > 0.5 * fair);
  }
}

// Sorted as std::sort sorts, and balanced; each task samples as many as sort_node::sample_task
// asks.
void check_sorted_and_balanced(const std::vector<std::uint64_t>& input, std::size_t tasks,
                               std::size_t partitions) {
  const auto run = sort_in_process(input, tasks, partitions, 16 + 64 * partitions / tasks);
  auto expected = input;
  std::sort(expected.begin(), expected.end());
  CHECK(run.output == expected);
  check_balanced(run, input.size());
}

}  // namespace

TEST_CASE("sort splitters: every key equal still gives balanced partitions") {
  check_sorted_and_balanced(std::vector<std::uint64_t>(40'000, 7), 4, 8);
}

TEST_CASE("sort splitters: one key filling half the input is cut across partitions") {
  std::mt19937_64 random(3);
  std::vector<std::uint64_t> input(40'000);
  for (auto& x : input) x = random() % 2 == 0 ? 500 : random() % 1000;
  check_sorted_and_balanced(input, 5, 6);
}

TEST_CASE("sort splitters: distinct keys come out in order and balanced") {
  std::mt19937_64 random(4);
  std::vector<std::uint64_t> input(50'000);
  for (auto& x : input) x = random();
  check_sorted_and_balanced(input, 3, 7);
}

TEST_CASE("sort splitters: one output partition needs no sample") {
  const std::vector<std::uint64_t> input = {3, 1, 2};
  const auto run = sort_in_process(input, 2, 1, 10);
  CHECK(run.output == std::vector<std::uint64_t>{1, 2, 3});
}

TEST_CASE(
    "sort spill: a partition beyond a quarter of the memory budget is sorted in runs on disk and "
    "merged") {
  std::vector<std::uint64_t> input(600000);
  std::uint64_t x = 88172645463325252ull;
  for (auto& v :
       input) {  // xorshift: deterministic, unordered, with repeats cut off by the modulus
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    v = x % 100000;
  }
  auto driver = idle_driver();
  auto source = std::make_shared<vector_node<std::uint64_t>>(driver, input, 1, 1000);
  sorter sort(source, 1);
  stub_task_context tc;
  tc.budget = 8u << 20;  // runs of 1 MiB: several runs and a rest in memory
  sort.write(tc, *source, 0, {sort.id(), 1, {}});
  std::vector<std::uint64_t> output;
  sort.compute(
      tc, 0, [&](std::span<std::uint64_t> b) { output.insert(output.end(), b.begin(), b.end()); });
  auto expected = input;
  std::sort(expected.begin(), expected.end());
  CHECK(tc.spilled > 0);
  CHECK(output == expected);
}
