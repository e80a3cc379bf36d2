// Join: two keyed datasets made where they are used, joined, each joined row folded into an
// order-independent checksum (the rows are too many to collect), against dense-array buckets.

#include "../baselines/join.hpp"
#include "workloads.hpp"

#include <utility>

namespace bench::dataflow {

namespace {

using row_hash_and_count = std::pair<std::uint64_t, std::uint64_t>;

join_summary join_in_framework(df::context& ctx, std::uint64_t rows, std::uint64_t keys) {
  const auto left = ctx.range(0, rows).map(join_left_row, keys);
  const auto right = ctx.range(0, rows).map(join_right_row, keys);
  const auto folded = left.join(right)
                          .map([](const auto& row) {
                            return row_hash_and_count(
                                join_row_hash(row.first, row.second.first, row.second.second), 1);
                          })
                          .reduce([](const row_hash_and_count& x, const row_hash_and_count& y) {
                            return row_hash_and_count(x.first + y.first, x.second + y.second);
                          });
  const auto [checksum, count] = folded.value_or(row_hash_and_count(0, 0));
  return join_summary{count, checksum};
}

}  // namespace

void run_join(const workload_args& a) {
  const std::uint64_t rows = a.sizes.join_rows, keys = a.sizes.join_keys;
  join_summary expected;
  const double baseline_s = time_it([&] { return baseline::join(rows, rows, keys); }, expected);
  run_on_each_context(
      a, "join", baseline_s, two_worker_target,
      [&](df::context& ctx) { return join_in_framework(ctx, rows, keys); },
      [&](const join_summary& got) {
        return got == expected
                   ? std::nullopt
                   : std::optional<std::string>(std::to_string(got.rows) + " rows, expected " +
                                                std::to_string(expected.rows));
      });
}

}  // namespace bench::dataflow
