#pragma once
// Join by hand, in one thread: both sides bucketed by key into dense arrays (a counting sort: the
// keys are 0..keys-1), then every pair of rows under each key, folded into the join checksum.

#include "../common/keyed_inputs.hpp"

#include <cstdint>
#include <vector>

namespace bench::dataflow {

struct join_summary {
  std::uint64_t rows = 0, checksum = 0;
  bool operator==(const join_summary&) const = default;
};

namespace baseline {

// Values of n rows grouped by key: the values of key k are values[offsets[k] .. offsets[k + 1]).
struct bucketed {
  std::vector<std::uint64_t> offsets, values;
};

template <class Row>
bucketed bucket_rows(std::uint64_t n, std::uint64_t keys, Row row) {
  bucketed b{std::vector<std::uint64_t>(keys + 1, 0), std::vector<std::uint64_t>(n)};
  std::vector<keyed> rows(n);
  for (std::uint64_t i = 0; i < n; ++i) {
    rows[i] = row(i, keys);
    ++b.offsets[rows[i].first + 1];
  }
  for (std::uint64_t k = 0; k < keys; ++k) b.offsets[k + 1] += b.offsets[k];
  std::vector<std::uint64_t> next(b.offsets.begin(), b.offsets.end() - 1);
  for (const auto& [key, value] : rows) b.values[next[key]++] = value;
  return b;
}

inline join_summary join(std::uint64_t left_rows, std::uint64_t right_rows, std::uint64_t keys) {
  const bucketed left = bucket_rows(left_rows, keys, join_left_row);
  const bucketed right = bucket_rows(right_rows, keys, join_right_row);
  join_summary s;
  for (std::uint64_t k = 0; k < keys; ++k)
    for (auto l = left.offsets[k]; l < left.offsets[k + 1]; ++l)
      for (auto r = right.offsets[k]; r < right.offsets[k + 1]; ++r) {
        s.checksum += join_row_hash(k, left.values[l], right.values[r]);
        ++s.rows;
      }
  return s;
}

}  // namespace baseline
}  // namespace bench::dataflow
