#pragma once
// The in-memory sort of a sort partition when its elements are ordered by a number: a least
// significant digit radix sort, a byte per pass. A comparison sort of n keys makes about n log2 n
// unpredictable comparisons (23 per element for a million); this makes one counting pass and one
// scattering pass per byte that differs between the keys, each a sequential read, and skips the
// bytes all keys share (the high bytes of small numbers). It needs a second array the size of the
// input, which a sort partition's memory share allows for (sort.hpp).
//
// It applies where a key maps to unsigned bits in the key's own order: integers (the sign bit
// flipped for signed ones) and floating-point numbers (negative ones with every bit flipped,
// positive ones with the sign bit set). Elements move between the two arrays, so any movable
// element will do. Elements with equal keys keep their input order, which no caller relies on
// (ties have no order).

#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <memory>
#include <type_traits>
#include <utility>
#include <vector>

namespace constellation::dataflow::detail {

template <class K>
inline constexpr bool radix_key = (std::is_integral_v<K> && !std::is_same_v<K, bool>) ||
                                  (std::is_floating_point_v<K> &&
                                   (sizeof(K) == 4 || sizeof(K) == 8) &&
                                   std::numeric_limits<K>::is_iec559);

// The unsigned number whose order is the key's order.
template <class K>
requires radix_key<K>
auto ordered_bits(K key) {
  if constexpr (std::is_integral_v<K>) {
    using U = std::make_unsigned_t<K>;
    if constexpr (std::is_signed_v<K>)
      return static_cast<U>(static_cast<U>(key) ^ (U(1) << (sizeof(K) * 8 - 1)));
    else
      return static_cast<U>(key);
  } else {
    using U = std::conditional_t<sizeof(K) == 4, std::uint32_t, std::uint64_t>;
    const U bits = std::bit_cast<U>(key);
    const U sign = U(1) << (sizeof(K) * 8 - 1);
    return static_cast<U>((bits & sign) ? ~bits : bits | sign);
  }
}

// Sorts items by ordered_bits(key_of(item)); key_of is called once per element and pass.
template <class T, class KeyOf>
void radix_sort(std::vector<T>& items, KeyOf&& key_of) {
  using U = decltype(ordered_bits(key_of(items.front())));
  constexpr std::size_t bytes = sizeof(U);
  const std::size_t n = items.size();
  if (n < 2) return;

  // Every byte's histogram in one pass.
  std::vector<std::array<std::size_t, 256>> counts(bytes);
  for (auto& c : counts) c.fill(0);
  for (const T& item : items) {
    const U bits = ordered_bits(key_of(item));
    for (std::size_t b = 0; b < bytes; ++b) ++counts[b][(bits >> (8 * b)) & 0xff];
  }

  auto scratch = std::make_unique_for_overwrite<T[]>(n);
  T* from = items.data();
  T* to = scratch.get();
  for (std::size_t b = 0; b < bytes; ++b) {
    auto& count = counts[b];
    // A byte every key shares orders nothing.
    if (count[(ordered_bits(key_of(from[0])) >> (8 * b)) & 0xff] == n) continue;
    std::array<std::size_t, 256> next;
    std::size_t at = 0;
    for (std::size_t d = 0; d < 256; ++d) {
      next[d] = at;
      at += count[d];
    }
    for (std::size_t i = 0; i < n; ++i) {
      const auto d = (ordered_bits(key_of(from[i])) >> (8 * b)) & 0xff;
      to[next[d]++] = std::move(from[i]);
    }
    std::swap(from, to);
  }
  if (from != items.data()) std::move(from, from + n, items.data());
}

}  // namespace constellation::dataflow::detail
