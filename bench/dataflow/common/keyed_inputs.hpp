#pragma once
// Sort's and Join's inputs, each element a pure function of its index so that the framework's
// workers make their share of the input where it is used (range(...).map(f)) and the baseline makes
// the same elements in a loop.
//   Sort: uniform u64, the hash of the index.
//   Join: duplicate-heavy keys, each side's keys uniform over join_keys (2M at full scale, so about
//         five rows per key on each side and about 25 joined rows per key); values are hashes.

#include "mix.hpp"

#include <cstdint>
#include <utility>

namespace bench::dataflow {

using u64 = std::uint64_t;
using keyed = std::pair<u64, u64>;

inline constexpr u64 sort_seed = 0x5011, join_left_seed = 0x101e, join_right_seed = 0x1217;

inline u64 sort_value(const u64& i) {
  return stream(sort_seed, i);
}

// join_keys is the state the framework passes to these functions; the baseline passes it too.
inline keyed join_left_row(const u64& i, const u64& join_keys) {
  const u64 bits = stream(join_left_seed, i);
  return {bits % join_keys, mix(bits)};
}
inline keyed join_right_row(const u64& i, const u64& join_keys) {
  const u64 bits = stream(join_right_seed, i);
  return {bits % join_keys, mix(bits)};
}

// One joined row's share of the join checksum; the checksum is the wrapping sum over all rows,
// so it does not depend on their order.
inline u64 join_row_hash(u64 key, u64 left, u64 right) {
  return mix(key ^ mix(left ^ mix(right)));
}

}  // namespace bench::dataflow
