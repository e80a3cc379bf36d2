#pragma once
// Sort by hand, in one thread: make the n values, std::sort them, checksum the sorted order.

#include "../common/keyed_inputs.hpp"

#include <algorithm>
#include <cstdint>
#include <vector>

namespace bench::dataflow {

struct sorted_summary {
  std::uint64_t count = 0, checksum = 0;
  bool operator==(const sorted_summary&) const = default;
};

// Depends on each value's position, so an unsorted or shuffled result does not match.
inline sorted_summary summarize_sorted(const std::vector<std::uint64_t>& values) {
  sorted_summary s{values.size(), 0};
  for (std::uint64_t i = 0; i < values.size(); ++i) s.checksum += mix(values[i] ^ mix(i));
  return s;
}

namespace baseline {

inline sorted_summary sort(std::uint64_t n) {
  std::vector<std::uint64_t> values(n);
  for (std::uint64_t i = 0; i < n; ++i) values[i] = sort_value(i);
  std::sort(values.begin(), values.end());
  return summarize_sorted(values);
}

}  // namespace baseline
}  // namespace bench::dataflow
