// The radix sort of number-keyed sort partitions: the order std::sort gives, for every kind of
// number key, with negative numbers, the extremes, runs of equal keys, keys that share high bytes
// (whose passes are skipped) and keys carried as the first of a pair with a payload that moves.
#include <constellation/dataflow/radix_sort.hpp>

#include <doctest/doctest.h>

#include <algorithm>
#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <utility>
#include <vector>

namespace detail = constellation::dataflow::detail;

namespace {

const auto whole = [](const auto& x) -> const auto& {
  return x;
};

template <class K>
std::vector<K> with_extremes(std::vector<K> items) {
  using limits = std::numeric_limits<K>;
  for (K k : {limits::lowest(), limits::max(), K(0), K(1)}) items.push_back(k);
  if constexpr (std::is_signed_v<K>) items.push_back(K(-1));
  if constexpr (std::is_floating_point_v<K>) {
    for (K k :
         {limits::min(), -limits::min(), limits::infinity(), -limits::infinity(), K(-0.5), K(0.25)})
      items.push_back(k);
  }
  return items;
}

template <class K>
void check_sorts_like_std_sort(std::vector<K> items) {
  auto expected = items;
  std::sort(expected.begin(), expected.end());
  detail::radix_sort(items, whole);
  CHECK(items == expected);
}

template <class K, class Draw>
std::vector<K> drawn(std::size_t n, Draw&& draw) {
  std::mt19937_64 random(n);
  std::vector<K> items(n);
  for (auto& x : items) x = static_cast<K>(draw(random));
  return items;
}

}  // namespace

TEST_CASE("radix sort orders unsigned and signed integers of every width as std::sort does") {
  for (std::size_t n : {0, 1, 2, 100, 5000, 70000}) {
    CAPTURE(n);
    check_sorts_like_std_sort(with_extremes(drawn<std::uint64_t>(n, [](auto& r) { return r(); })));
    check_sorts_like_std_sort(with_extremes(drawn<std::int64_t>(n, [](auto& r) { return r(); })));
    check_sorts_like_std_sort(with_extremes(drawn<std::int32_t>(n, [](auto& r) { return r(); })));
    check_sorts_like_std_sort(with_extremes(drawn<std::uint16_t>(n, [](auto& r) { return r(); })));
    check_sorts_like_std_sort(with_extremes(drawn<std::int8_t>(n, [](auto& r) { return r(); })));
    check_sorts_like_std_sort(with_extremes(drawn<char>(n, [](auto& r) { return r(); })));
  }
}

TEST_CASE("radix sort orders floating-point numbers, negative ones and infinities included") {
  for (std::size_t n : {1, 3000, 70000}) {
    CAPTURE(n);
    std::normal_distribution<double> normal(0, 1e6);
    check_sorts_like_std_sort(with_extremes(drawn<double>(n, [&](auto& r) { return normal(r); })));
    check_sorts_like_std_sort(with_extremes(drawn<float>(n, [&](auto& r) { return normal(r); })));
  }
}

TEST_CASE("radix sort skips the bytes every key shares and keeps duplicate-heavy input in order") {
  // Small numbers: only the lowest byte differs.
  check_sorts_like_std_sort(drawn<std::uint64_t>(50000, [](auto& r) { return r() % 200; }));
  // Every key equal: nothing to do, nothing lost.
  check_sorts_like_std_sort(std::vector<std::int64_t>(10000, -7));
  // Keys that differ only in their top byte.
  check_sorts_like_std_sort(drawn<std::uint64_t>(20000, [](auto& r) { return (r() % 256) << 56; }));
}

TEST_CASE("radix sort by the first of a pair moves the payloads along, equal keys in input order") {
  std::mt19937_64 random(3);
  std::vector<std::pair<std::int32_t, std::string>> items;
  for (int i = 0; i < 20000; ++i)
    items.emplace_back(static_cast<std::int32_t>(random() % 1000) - 500,
                       "payload " + std::to_string(i));
  auto expected = items;
  std::stable_sort(expected.begin(), expected.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  detail::radix_sort(items, [](const auto& x) { return x.first; });
  CHECK(items == expected);
}
