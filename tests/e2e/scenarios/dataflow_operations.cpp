// Every dataflow operation against the same computation done by a plain loop, on random data and
// on the edge cases: empty input, one element, more partitions than elements, duplicate-heavy and
// skewed keys.
#include "dataflow/checks.hpp"
#include "scenario.hpp"

#include <map>
#include <random>
#include <set>
#include <unordered_map>

namespace df = constellation::dataflow;
using kv = std::pair<std::uint64_t, std::uint64_t>;

namespace {

std::vector<std::uint64_t> random_numbers(std::size_t n, std::uint64_t seed, std::uint64_t below) {
  std::mt19937_64 random(seed);
  std::vector<std::uint64_t> out(n);
  for (auto& x : out) x = random() % below;
  return out;
}

// Keys drawn so that key 0 takes about half of all pairs: a skewed shuffle.
std::vector<kv> skewed_pairs(std::size_t n, std::uint64_t seed) {
  std::mt19937_64 random(seed);
  std::vector<kv> out(n);
  for (auto& p : out) p = {random() % 2 == 0 ? 0 : random() % 1000, random() % 100};
  return out;
}

std::uint64_t add(std::uint64_t a, std::uint64_t b) {
  return a + b;
}

void check_inputs(e2e::dataflow::tally& t, df::context& ctx, const std::string& label,
                  const std::vector<std::uint64_t>& xs, const std::vector<kv>& pairs,
                  std::size_t partitions) {
  auto data = ctx.parallelize(xs, partitions);
  auto keyed = ctx.parallelize(pairs, partitions);

  t.same(label + " collect keeps order", data.collect(), xs);
  t.check(label + " count", data.count() == xs.size());

  std::vector<std::uint64_t> chained;
  for (auto x : xs)
    if ((x * 3 + 1) % 2 == 0)
      for (std::uint64_t i = 0; i < x % 3; ++i) chained.push_back(x * 3 + 1 + i);
  auto fused = data.map([](const std::uint64_t& x) { return x * 3 + 1; })
                   .filter([](const std::uint64_t& x) { return x % 2 == 0; })
                   .flat_map<std::uint64_t>([](const std::uint64_t& x, auto& emit) {
                     for (std::uint64_t i = 0; i < (x - 1) / 3 % 3; ++i) emit(x + i);
                   });
  t.same(label + " map filter flat_map fused", fused.collect(), chained);

  const std::uint64_t offset = 7;
  std::vector<std::uint64_t> shifted;
  for (auto x : xs) shifted.push_back(x + offset);
  t.same(label + " map with state",
         data.map([](const std::uint64_t& x, const std::uint64_t& s) { return x + s; }, offset)
             .collect(),
         shifted);
  t.same(label + " map with a function pointer",
         data.map(+[](const std::uint64_t& x) { return x + 7; }).collect(), shifted);

  std::vector<kv> by_key;
  for (auto x : xs) by_key.emplace_back(x % 10, x);
  t.same(label + " key_by", data.key_by([](const std::uint64_t& x) { return x % 10; }).collect(),
         by_key);

  std::vector<std::uint64_t> both = xs;
  both.insert(both.end(), xs.begin(), xs.end());
  t.same_items(label + " union_with", data.union_with(data).collect(), both);

  std::uint64_t sum = 0;
  for (auto x : xs) sum += x;
  auto reduced = data.reduce(add);
  t.check(label + " reduce", xs.empty() ? !reduced : reduced && *reduced == sum);
  const std::size_t half = xs.size() / 2;
  t.same(label + " take", data.take(half),
         std::vector<std::uint64_t>(xs.begin(), xs.begin() + half));
  t.same(label + " take more than there is", data.take(xs.size() + 5), xs);

  t.check(label + " sample 0 keeps nothing", data.sample(0, 1).count() == 0);
  t.same(label + " sample 1 keeps all", data.sample(1, 1).collect(), xs);
  t.same(label + " sample is deterministic", data.sample(0.5, 42).collect(),
         data.sample(0.5, 42).collect());

  std::vector<std::uint64_t> sorted = xs;
  std::sort(sorted.begin(), sorted.end());
  t.same(label + " sort", data.sort().collect(), sorted);
  auto by_last_digit = data.sort_by([](const std::uint64_t& x) { return x % 10; }).collect();
  t.check(label + " sort_by orders by key",
          std::is_sorted(by_last_digit.begin(), by_last_digit.end(),
                         [](auto a, auto b) { return a % 10 < b % 10; }));
  t.same_items(label + " sort_by keeps every element", by_last_digit, xs);

  std::set<std::uint64_t> unique(xs.begin(), xs.end());
  t.same_items(label + " distinct", data.distinct().collect(),
               std::vector<std::uint64_t>(unique.begin(), unique.end()));
  t.same_items(label + " repartition", data.repartition(3).collect(), xs);

  std::map<std::uint64_t, std::uint64_t> sums;
  std::map<std::uint64_t, std::vector<std::uint64_t>> groups;
  for (auto [k, v] : pairs) {
    sums[k] += v;
    groups[k].push_back(v);
  }
  t.same_items(label + " reduce_by_key", keyed.reduce_by_key(add).collect(),
               std::vector<kv>(sums.begin(), sums.end()));
  auto grouped = keyed.group_by_key().collect();
  for (auto& g : grouped) std::sort(g.second.begin(), g.second.end());
  std::vector<std::pair<std::uint64_t, std::vector<std::uint64_t>>> expected_groups;
  for (auto& [k, vs] : groups) {
    std::sort(vs.begin(), vs.end());
    expected_groups.emplace_back(k, vs);
  }
  t.same_items(label + " group_by_key", grouped, expected_groups);

  std::vector<kv> doubled;
  for (auto [k, v] : pairs) doubled.emplace_back(k, v * 2);
  t.same(label + " map_values",
         keyed.map_values([](const std::uint64_t& v) { return v * 2; }).collect(), doubled);

  std::vector<kv> sorted_pairs = pairs;
  std::stable_sort(sorted_pairs.begin(), sorted_pairs.end(),
                   [](auto a, auto b) { return a.first < b.first; });
  auto by_key_sorted = keyed.sort_by_key().collect();
  t.check(label + " sort_by_key orders by key",
          std::is_sorted(by_key_sorted.begin(), by_key_sorted.end(),
                         [](auto a, auto b) { return a.first < b.first; }));
  t.same_items(label + " sort_by_key keeps every pair", by_key_sorted, pairs);

  // Join with a small table of names for some keys: a chain as the argument.
  std::vector<kv> names;
  for (std::uint64_t k = 0; k < 1000; k += 3) names.emplace_back(k, k * 100);
  using joined = std::pair<std::uint64_t, std::pair<std::uint64_t, std::uint64_t>>;
  using outer = std::pair<std::uint64_t, std::pair<std::uint64_t, std::optional<std::uint64_t>>>;
  std::vector<joined> expected_join;
  std::vector<outer> expected_outer;
  for (auto [k, v] : pairs) {
    bool matched = false;
    for (auto [nk, nv] : names)
      if (nk == k) {
        expected_join.push_back({k, {v, nv}});
        expected_outer.push_back({k, {v, nv}});
        matched = true;
      }
    if (!matched) expected_outer.push_back({k, {v, std::nullopt}});
  }
  auto name_table = ctx.parallelize(names, 3).map([](const kv& p) { return p; });
  t.same_items(label + " join", keyed.join(name_table).collect(), expected_join);
  t.same_items(label + " left_outer_join", keyed.left_outer_join(name_table).collect(),
               expected_outer);

  // Datasets partitioned alike by key join without a shuffle; a cache on one side keeps it so.
  auto summed = keyed.reduce_by_key(add);
  auto counted = keyed.map_values([](const std::uint64_t&) { return std::uint64_t{1}; })
                     .reduce_by_key(add)
                     .cache();
  std::map<std::uint64_t, std::uint64_t> counts;
  for (auto [k, v] : pairs) counts[k] += 1;
  std::vector<joined> expected_local;
  for (auto [k, total] : sums) expected_local.push_back({k, {total, counts[k]}});
  t.same_items(label + " join of datasets partitioned alike", summed.join(counted).collect(),
               expected_local);
  t.same_items(label + " join of datasets partitioned alike, again",
               summed.filter([](const kv&) { return true; }).join(counted).collect(),
               expected_local);

  // A union whose second side is a shuffle's output: its partitions are read where they live.
  std::vector<std::uint64_t> with_unique(xs);
  with_unique.insert(with_unique.end(), unique.begin(), unique.end());
  t.same_items(label + " union with a shuffle's output",
               ctx.parallelize(xs, 3).union_with(data.distinct()).collect(), with_unique);
}

}  // namespace

CONSTELLATION_SCENARIO(dataflow_operations) {
  e2e::dataflow::tally t;
  df::context ctx(e2e::dataflow::small_workers());
  t.check("workers() is options::workers", ctx.workers() == 2);

  check_inputs(t, ctx, "random", random_numbers(20000, 1, 1000000), skewed_pairs(20000, 2), 0);
  check_inputs(t, ctx, "duplicate-heavy", random_numbers(5000, 3, 4), skewed_pairs(5000, 4), 5);
  check_inputs(t, ctx, "empty", {}, {}, 0);
  check_inputs(t, ctx, "one element", {42}, {{1, 2}}, 0);
  check_inputs(t, ctx, "more partitions than elements", {3, 1, 2}, {{1, 1}, {2, 2}, {1, 3}}, 50);

  std::vector<std::uint64_t> numbers(100000);
  for (std::uint64_t i = 0; i < numbers.size(); ++i) numbers[i] = 10 + i;
  t.same("range", ctx.range(10, 100010).collect(), numbers);
  t.check("range of nothing", ctx.range(5, 5).count() == 0);
  return t.verdict();
}
