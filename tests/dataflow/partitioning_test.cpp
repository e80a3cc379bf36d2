// How elements are placed in partitions: hash_partition keeps every key in range and spreads
// sequential keys evenly; slice_of cuts n items into contiguous, covering, near-equal slices.
#include <constellation/dataflow/shuffle.hpp>
#include <constellation/dataflow/sources.hpp>

#include <doctest/doctest.h>

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

namespace detail = constellation::dataflow::detail;

TEST_CASE("hash_partition: every key lands in range") {
  for (std::size_t partitions : {1u, 2u, 3u, 7u, 64u, 1000u}) {
    for (std::uint64_t k = 0; k < 5000; ++k) {
      CHECK(detail::hash_partition(k, partitions) < partitions);
      CHECK(detail::hash_partition(~k, partitions) < partitions);
      CHECK(detail::hash_partition("key-" + std::to_string(k), partitions) < partitions);
    }
    CHECK(detail::scale_to(std::numeric_limits<std::uint64_t>::max(), partitions) ==
          partitions - 1);
    CHECK(detail::scale_to(0, partitions) == 0);
  }
}

TEST_CASE("hash_partition: sequential integers spread evenly and a key always lands in one place") {
  constexpr std::size_t partitions = 8, keys = 80'000;
  std::vector<std::size_t> counts(partitions);
  for (std::uint64_t k = 0; k < keys; ++k) ++counts[detail::hash_partition(k, partitions)];
  for (auto c : counts) {
    CHECK(c > keys / partitions * 9 / 10);
    CHECK(c < keys / partitions * 11 / 10);
  }
  CHECK(detail::hash_partition(std::string("fox"), 13) ==
        detail::hash_partition(std::string("fox"), 13));
}

TEST_CASE("slice_of: slices are contiguous and covering and differ in size by at most one") {
  const std::uint64_t huge = std::numeric_limits<std::uint64_t>::max();
  for (std::uint64_t n : {std::uint64_t{0}, std::uint64_t{1}, std::uint64_t{7}, std::uint64_t{1000},
                          std::uint64_t{1} << 40, huge}) {
    for (std::size_t partitions : {1u, 2u, 3u, 7u, 64u, 1001u}) {
      CAPTURE(n);
      CAPTURE(partitions);
      std::uint64_t at = 0, smallest = huge, largest = 0;
      for (std::size_t p = 0; p < partitions; ++p) {
        const auto [first, last] = detail::slice_of(n, partitions, p);
        CHECK(first == at);
        CHECK(first <= last);
        smallest = std::min(smallest, last - first);
        largest = std::max(largest, last - first);
        at = last;
      }
      CHECK(at == n);
      CHECK(largest - smallest <= 1);
    }
  }
}
