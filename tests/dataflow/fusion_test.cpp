// Fused narrow chains: map, filter, flat_map, key_by, map_values and sample composed into one
// loop give what a hand-written loop gives, across batch and partition boundaries.
#include "stub_task_context.hpp"
#include "vector_node.hpp"

#include <constellation/dataflow/dataset.hpp>

#include <doctest/doctest.h>

#include <cstdint>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

namespace df = constellation::dataflow;
using namespace dataflow_test;

namespace {

// Every partition of n, computed in order in this process.
template <class T>
std::vector<T> compute_all(const detail::node<T>& n) {
  stub_task_context tc;
  std::vector<T> out;
  for (std::size_t p = 0; p < n.partitions(); ++p)
    n.compute(tc, p,
              [&](std::span<T> batch) { out.insert(out.end(), batch.begin(), batch.end()); });
  return out;
}

std::vector<std::uint64_t> numbers(std::uint64_t n) {
  std::vector<std::uint64_t> out(n);
  for (std::uint64_t i = 0; i < n; ++i) out[i] = i * 7 % 101;
  return out;
}

std::string spell(const std::uint64_t& x) {
  return std::to_string(x);
}

}  // namespace

TEST_CASE("fusion: compose runs map then filter then flat_map as one loop") {
  auto times3 = [](const std::uint64_t& x) { return x * 3 + 1; };
  auto even = [](const std::uint64_t& x) { return x % 2 == 0; };
  auto repeat = [](const std::uint64_t& x, auto& emit) {
    for (std::uint64_t i = 0; i < x % 4; ++i) emit(x + i);
  };
  using map_step = detail::step<std::uint64_t, detail::map_op<decltype(times3), detail::no_state>>;
  using filter_step =
      detail::step<std::uint64_t, detail::filter_op<decltype(even), detail::no_state>>;
  using flat_step =
      detail::step<std::uint64_t,
                   detail::flat_map_op<std::uint64_t, decltype(repeat), detail::no_state>>;
  const std::tuple<map_step, filter_step, flat_step> steps{
      {{{{times3}, {}}}}, {{{{even}, {}}}}, {{{{repeat}, {}}}}};

  std::vector<std::uint64_t> fused;
  auto run = detail::compose<0>(
      steps, [&](std::uint64_t&& x) { fused.push_back(x); }, 0);
  const auto input = numbers(1000);
  for (auto x : input) run(std::uint64_t(x));

  std::vector<std::uint64_t> expected;
  for (auto x : input) {
    const auto y = x * 3 + 1;
    if (y % 2 != 0) continue;
    for (std::uint64_t i = 0; i < y % 4; ++i) expected.push_back(y + i);
  }
  CHECK(fused == expected);
}

TEST_CASE("fusion: a chain built with the dataset API computes like a loop over every partition") {
  auto driver = idle_driver();
  const auto input = numbers(2000);
  df::dataset<std::uint64_t> source(std::make_shared<vector_node<std::uint64_t>>(driver, input, 7));
  const std::uint64_t offset = 5;
  auto chain =
      source.map([](const std::uint64_t& x, const std::uint64_t& o) { return x + o; }, offset)
          .filter([](const std::uint64_t& x) { return x % 3 != 0; })
          .flat_map<std::uint64_t>([](const std::uint64_t& x, auto& emit) {
            if (x % 2 == 0) emit(x / 2);
            emit(x);
          })
          .map(spell)  // a function pointer in the chain
          .key_by([](const std::string& s) { return s.size(); })
          .map_values([](const std::string& s) { return s + "!"; });

  std::vector<std::pair<std::size_t, std::string>> expected;
  for (auto x : input) {
    const auto y = x + offset;
    if (y % 3 == 0) continue;
    std::vector<std::uint64_t> emitted;
    if (y % 2 == 0) emitted.push_back(y / 2);
    emitted.push_back(y);
    for (auto z : emitted) expected.emplace_back(std::to_string(z).size(), std::to_string(z) + "!");
  }
  CHECK(compute_all(*chain.as_node()) == expected);
  CHECK(chain.as_node()->partitions() == 7);
  CHECK(chain.as_node()->kind() == "map");
}

TEST_CASE("fusion: a flat_map given a function pointer emits through emitter<U>") {
  auto driver = idle_driver();
  df::dataset<std::string> lines(std::make_shared<vector_node<std::string>>(
      driver, std::vector<std::string>{"a b", "", "c", "d e f"}, 2, 1));
  auto words =
      lines.flat_map<std::string>(+[](const std::string& line, df::emitter<std::string>& emit) {
        std::string word;
        for (char c : line + " ") {
          if (c != ' ')
            word += c;
          else if (!word.empty())
            emit(std::exchange(word, {}));
        }
      });
  CHECK(compute_all(*words.as_node()) == std::vector<std::string>{"a", "b", "c", "d", "e", "f"});
}

TEST_CASE("fusion: sample keeps all at 1 and none at 0 and about its fraction the same each time") {
  auto driver = idle_driver();
  std::vector<std::uint64_t> input(100'000);
  for (std::uint64_t i = 0; i < input.size(); ++i) input[i] = i;
  df::dataset<std::uint64_t> source(
      std::make_shared<vector_node<std::uint64_t>>(driver, input, 4, 1000));
  CHECK(compute_all(*source.sample(1.0, 9).as_node()) == input);
  CHECK(compute_all(*source.sample(0.0, 9).as_node()).empty());
  const auto half = compute_all(*source.sample(0.5, 9).as_node());
  CHECK(half.size() > 48'000);
  CHECK(half.size() < 52'000);
  CHECK(compute_all(*source.sample(0.5, 9).as_node()) == half);
  CHECK(compute_all(*source.sample(0.5, 10).as_node()) != half);
}

namespace {

// Counts its copies, so that a test sees which steps copy elements.
struct counted {
  std::uint64_t value = 0;
  static inline int copies = 0;
  counted() = default;
  explicit counted(std::uint64_t v) : value(v) {}
  counted(const counted& o) : value(o.value) { ++copies; }
  counted(counted&&) = default;
  counted& operator=(const counted& o) {
    value = o.value;
    ++copies;
    return *this;
  }
  counted& operator=(counted&&) = default;
  template <class Archive>
  void serialize(Archive& a) {
    a(value);
  }
};

}  // namespace

TEST_CASE("fusion: a map over a cache reads the kept elements without copying them") {
  auto driver = idle_driver();
  std::vector<counted> input;
  for (std::uint64_t i = 0; i < 5000; ++i) input.emplace_back(i);
  df::dataset<counted> source(std::make_shared<vector_node<counted>>(driver, input, 3, 100));
  const auto kept = source.cache();
  const auto doubled = kept.map([](const counted& c) { return c.value * 2; });
  stub_task_context tc;
  std::vector<std::uint64_t> first, second;
  const auto compute = [&](std::vector<std::uint64_t>& out) {
    for (std::size_t p = 0; p < 3; ++p)
      doubled.as_node()->compute(
          tc, p, [&](std::span<std::uint64_t> b) { out.insert(out.end(), b.begin(), b.end()); });
  };
  compute(first);  // copies the source's batches, then keeps them
  counted::copies = 0;
  compute(second);
  CHECK(counted::copies == 0);
  CHECK(first == second);
  REQUIRE(second.size() == 5000);
  CHECK(second[4999] == 9998);
}
