#pragma once
// The table of the combiners and reduce sides: one entry per key. It starts as a flat_table (a
// hash table); when the keys are unsigned integers and turn out dense (vertex ids 0..n-1, the
// numbers of a range), it moves its entries to a direct_table, indexed by the key itself, as a
// hand-written program would index an array. The choice is made at run time, whenever the hash
// table is about to grow: the direct array is taken when it covers every key seen so far in no
// more bytes than the hash table would take for the keys it holds (or is expected to hold); as it
// stores neither keys nor hashes, that holds from a quarter of the range filled or so, for numbers.
//
// A direct table widens its range for a key outside it while the same bound holds (doubling, so
// that keys arriving in order widen it a few times only); a key that would break the bound moves
// every entry back to a hash table, which stays one for the rest of the table's life, so that no
// input makes it switch back and forth.
//
// Entries are handed out in the order of the keys from a direct table, in no order from a hash
// table; callers depend on neither.

#include <constellation/dataflow/direct_table.hpp>
#include <constellation/dataflow/flat_table.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <span>
#include <type_traits>
#include <utility>

namespace constellation::dataflow::detail {

// Keys a direct_table can index.
template <class K>
inline constexpr bool direct_key =
    std::is_integral_v<K>&& std::is_unsigned_v<K> && !std::is_same_v<K, bool>;

template <class K, class V>
class keyed_table {
 public:
  using entry = std::pair<K, V>;

  // What find_or_insert found: the key as the table keeps it (null where keys are not kept: an
  // unsigned integer holds nothing beyond itself), its value, and whether it was inserted.
  struct found {
    const K* key;
    V* value;
    bool inserted;
  };

  std::size_t size() const { return direct() ? direct_.size() : hashed_.size(); }
  bool empty() const { return size() == 0; }
  // The bytes of the table's arrays (not what keys and values hold on the heap).
  std::size_t table_bytes() const { return hashed_.table_bytes() + direct_.table_bytes(); }
  // Whether the entries are indexed by their keys now.
  bool direct() const { return mode_ == mode::direct; }

  // Expects about n keys: a hash table is spared its growth, and a direct one may cover the
  // range that n keys would fill. While the keys may yet turn out dense, the hash table is made
  // ready for a few thousand keys only: the choice is made when it is full.
  void reserve(std::size_t n) {
    expected_ = n;
    if (mode_ == mode::direct) return;
    const bool may_turn_direct = direct_key<K> && mode_ == mode::hashed;
    hashed_.reserve(may_turn_direct ? std::min(n, first_reserve) : n);
  }

  // The value of key (a K or a view of it); when there is none, make() is inserted as its value
  // first.
  template <class Q, class Make>
  found find_or_insert(Q&& key, Make&& make) {
    if constexpr (direct_key<K>) {
      if (mode_ == mode::direct) {
        if (direct_.covers(key) || widen(key)) {
          auto [value, inserted] = direct_.find_or_insert(key, make);
          return {nullptr, value, inserted};
        }
      } else if (mode_ == mode::hashed) {
        note(key);
        if (hashed_.grows_within(1) && choose_direct(1))
          return find_or_insert(std::forward<Q>(key), make);
      }
    }
    auto [e, inserted] = hashed_.find_or_insert(
        key, hashed_.hash_of(key), [&] { return entry(K(std::forward<Q>(key)), make()); });
    return {&e->first, &e->second, inserted};
  }

  // Inserts every (key, value) of a batch (which it moves from), or merges the value into the
  // key's entry as merge(old, value). The slots of the next few keys are fetched ahead, as
  // flat_table::add_all does.
  template <class Merge>
  void add_all(std::span<entry> batch, Merge&& merge) {
    if constexpr (direct_key<K>) {
      if (mode_ == mode::hashed) {
        for (const auto& e : batch) note(e.first);
        if (hashed_.grows_within(batch.size())) choose_direct(batch.size());
      }
      if (mode_ == mode::direct) return add_all_direct(batch, merge);
    }
    hashed_.add_all(batch, merge);
  }

  // Hands every entry to each (which may move from it), then empties the table; its arrays stay
  // for the next entries.
  template <class Each>
  void drain(Each&& each) {
    if constexpr (direct_key<K>)
      if (direct())
        return direct_.drain(
            [&](std::uint64_t key, V&& value) { each(entry(K(key), std::move(value))); });
    hashed_.drain(each);
  }

  // Empties the table and gives its arrays back; the next entries choose afresh (unless a direct
  // table had to give up).
  void release() {
    hashed_.release();
    direct_.release();
    if (mode_ == mode::direct) mode_ = mode::hashed;
    low_ = std::numeric_limits<std::uint64_t>::max();
    high_ = 0;
  }

 private:
  enum class mode { hashed, direct, hashed_for_good };
  // A hash table may still turn direct: it is first made ready for this many keys only.
  static constexpr std::size_t first_reserve = 4096;
  // Fewer keys than this tell too little of the range the next ones fall in (and fit in the
  // processor's caches in a hash table anyway).
  static constexpr std::size_t min_direct_keys = 1024;

  // The most slots a direct table may have while it holds n keys: no more bytes than a hash table
  // of n keys.
  static std::size_t allowed_slots(std::size_t n) {
    return flat_table<K, V>::table_bytes_for(n) / direct_table<V>::slot_bytes;
  }

  void note(std::uint64_t key) {
    low_ = std::min(low_, key);
    high_ = std::max(high_, key);
  }

  // Moves the entries to a direct table over the keys seen, when it is small enough for the keys
  // that the hash table holds (plus pending) or is expected to hold; returns whether it did.
  bool choose_direct(std::size_t pending) {
    if (low_ > high_ || hashed_.size() + pending < min_direct_keys) return false;
    const std::size_t allowed = allowed_slots(std::max(hashed_.size() + pending, expected_));
    if (high_ - low_ >= allowed) {
      if (expected_ > hashed_.size()) hashed_.reserve(expected_);  // no longer held back
      return false;
    }
    direct_.cover(low_, high_ - low_ + 1);
    hashed_.drain(
        [&](entry&& e) { direct_.find_or_insert(e.first, [&] { return std::move(e.second); }); });
    hashed_.release();
    mode_ = mode::direct;
    return true;
  }

  // Widens the direct table to cover key, or, when that would break the bound, moves every entry
  // to a hash table for good; returns whether the table is still direct.
  bool widen(std::uint64_t key) {
    const std::uint64_t base = direct_.base(), last = base + direct_.slots() - 1;
    const std::uint64_t low = std::min(key, base), high = std::max(key, last);
    const std::size_t allowed = allowed_slots(std::max(direct_.size() + 1, expected_));
    if (high - low >= allowed) {
      fall_back();
      return false;
    }
    // Room for as many keys again on the side that grew (within the range of a std::uint64_t).
    const std::uint64_t slots = std::min<std::uint64_t>(
        allowed, std::max<std::uint64_t>(high - low + 1, 2 * direct_.slots()));
    const std::uint64_t top = std::numeric_limits<std::uint64_t>::max();
    direct_.cover(key < base ? (high >= slots - 1 ? high - (slots - 1) : 0)
                             : std::min(low, top - (slots - 1)),
                  slots);
    return true;
  }

  void fall_back() {
    mode_ = mode::hashed_for_good;
    hashed_.reserve(std::max(direct_.size(), expected_));
    direct_.drain([&](std::uint64_t key, V&& value) {
      const K k(key);
      hashed_.find_or_insert(k, hashed_.hash_of(k), [&] { return entry(k, std::move(value)); });
    });
    direct_.release();
  }

  template <class Merge>
  void add_all_direct(std::span<entry> batch, Merge& merge) {
    constexpr std::size_t ahead = 16;
    const std::size_t n = batch.size();
    for (std::size_t i = 0; i < std::min(ahead, n); ++i)
      if (direct_.covers(batch[i].first)) direct_.prefetch(batch[i].first);
    for (std::size_t i = 0; i < n; ++i) {
      if (i + ahead < n && direct_.covers(batch[i + ahead].first))
        direct_.prefetch(batch[i + ahead].first);
      auto& [key, value] = batch[i];
      if (!direct_.covers(key) && !widen(key)) return hashed_.add_all(batch.subspan(i), merge);
      auto [merged, inserted] = direct_.find_or_insert(key, [&] { return std::move(value); });
      if (!inserted) *merged = merge(std::move(*merged), std::move(value));
    }
  }

  flat_table<K, V> hashed_;
  direct_table<V> direct_;
  mode mode_ = mode::hashed;
  std::size_t expected_ = 0;
  // The least and the greatest key the hash table was given, while it may turn direct.
  std::uint64_t low_ = std::numeric_limits<std::uint64_t>::max(), high_ = 0;
};

}  // namespace constellation::dataflow::detail
