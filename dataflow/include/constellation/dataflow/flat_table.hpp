#pragma once
// The hash table of every reduce side and combiner: open addressing with linear probing over one
// array of slots (a key's hash beside its entry), a power-of-two size and no division. A word count
// looks up every word here, so a lookup must cost a hash and, mostly, one cache line, not a walk
// along a node chain as in std::unordered_map.
//
// Lookups are heterogeneous: a key may be looked up by a view of it (a std::string by the
// string_view of its bytes in a received block), so that a key already in the table costs no
// allocation. A view hashes as its key does (std::hash promises it for strings and their views).

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>
#include <utility>
#include <vector>

namespace constellation::dataflow::detail {

// std::hash of an integer is the integer: mix it before using its low bits.
inline std::uint64_t mix_hash(std::uint64_t h) {
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdULL;
  h ^= h >> 33;
  h *= 0xc4ceb9fe1a85ec53ULL;
  h ^= h >> 33;
  return h;
}

template <class K, class V>
class flat_table {
 public:
  using entry = std::pair<K, V>;

  std::size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  // The bytes of the table's own array (not what keys and values hold on the heap).
  std::size_t table_bytes() const { return slots_.capacity() * sizeof(slot); }
  // The bytes of the array of a table that holds n entries.
  static std::size_t table_bytes_for(std::size_t n) { return capacity_for(n) * sizeof(slot); }
  // Whether adding n more entries would grow the array (moving every entry).
  bool grows_within(std::size_t n) const { return (size_ + n) * 4 > slots_.size() * 3; }

  // The hash a key (or a view of it) is filed under; never 0, which marks an empty slot. Its
  // lowest bit is always set, so a slot is chosen by the bits above it (home()).
  //
  // Each table salts its hashes: entries drained from one table (in the order of their slots)
  // and added to another would otherwise arrive in the order of the new table's slots too, and
  // pile up in long runs of occupied slots while it is still small.
  template <class Q>
  std::uint64_t hash_of(const Q& key) const {
    return mix_hash(std::hash<Q>{}(key) ^ salt_) | 1;
  }

  // The entry whose key equals key (h = hash_of(key)), or null.
  template <class Q>
  const entry* find(const Q& key, std::uint64_t h) const {
    if (size_ == 0) return nullptr;
    for (std::size_t at = home(h);; at = (at + 1) & mask_) {
      const slot& s = slots_[at];
      if (s.hash == 0) return nullptr;
      if (s.hash == h && s.item.first == key) return &s.item;
    }
  }

  // The entry whose key equals key (h = hash_of(key)); when there is none, make() (an entry with
  // that key) is inserted first. The bool says whether it was.
  template <class Q, class Make>
  std::pair<entry*, bool> find_or_insert(const Q& key, std::uint64_t h, Make&& make) {
    if ((size_ + 1) * 4 > slots_.size() * 3) grow();
    for (std::size_t at = home(h);; at = (at + 1) & mask_) {
      slot& s = slots_[at];
      if (s.hash == 0) {
        s.hash = h;
        s.item = make();
        ++size_;
        return {&s.item, true};
      }
      if (s.hash == h && s.item.first == key) return {&s.item, false};
    }
  }

  // Inserts (key, value), or merges value into the key's entry as merge(old, value).
  template <class Merge>
  void add(K&& key, V&& value, Merge&& merge) {
    add(std::move(key), std::move(value), hash_of(key), merge);
  }

  // add() for every entry of a batch (which it moves from). A table larger than the processor's
  // caches misses on almost every lookup: the slots of the next few keys are fetched while the
  // current one is merged, so that their misses overlap.
  template <class Merge>
  void add_all(std::span<entry> batch, Merge&& merge) {
    constexpr std::size_t ahead = 16;
    std::uint64_t hashes[ahead];
    const std::size_t n = batch.size();
    for (std::size_t i = 0; i < std::min(ahead, n); ++i)
      prefetch(hashes[i] = hash_of(batch[i].first));
    for (std::size_t i = 0; i < n; ++i) {
      const std::uint64_t h = hashes[i % ahead];
      if (i + ahead < n) prefetch(hashes[i % ahead] = hash_of(batch[i + ahead].first));
      add(std::move(batch[i].first), std::move(batch[i].second), h, merge);
    }
  }

  // Asks the processor to fetch the slot where a lookup of hash h starts.
  void prefetch(std::uint64_t h) const {
    if (!slots_.empty()) __builtin_prefetch(&slots_[home(h)]);
  }

  // Hands every entry to each (which may move from it), then empties the table; its array stays
  // for the next entries.
  template <class Each>
  void drain(Each&& each) {
    for (auto& s : slots_) {
      if (s.hash == 0) continue;
      each(std::move(s.item));
      s = slot();
    }
    size_ = 0;
  }

  template <class Each>
  void for_each(Each&& each) const {
    for (const auto& s : slots_)
      if (s.hash != 0) each(s.item);
  }
  // Each entry, whose value (not key) each may change.
  template <class Each>
  void for_each_mutable(Each&& each) {
    for (auto& s : slots_)
      if (s.hash != 0) each(s.item);
  }

  // How many slots a lookup of a key in the table visits, on average: below 2 in a healthy table
  // (at most three quarters full), far more where entries pile up.
  double mean_probes() const {
    if (size_ == 0) return 0;
    std::size_t visited = 0;
    for (std::size_t at = 0; at < slots_.size(); ++at)
      if (slots_[at].hash != 0) visited += ((at - home(slots_[at].hash)) & mask_) + 1;
    return double(visited) / double(size_);
  }

  // Makes room for n entries at once: a table that will hold many is spared its growth, each step
  // of which moves every entry to another slot of a fresh array.
  void reserve(std::size_t n) {
    const std::size_t capacity = capacity_for(n);
    if (capacity > slots_.size()) resize(capacity);
  }

  // Empties the table and gives its array back.
  void release() {
    slots_ = slots();
    size_ = 0;
    mask_ = 0;
  }

 private:
  template <class Merge>
  void add(K&& key, V&& value, std::uint64_t h, Merge& merge) {
    auto [e, inserted] =
        find_or_insert(key, h, [&] { return entry(std::move(key), std::move(value)); });
    if (!inserted) e->second = merge(std::move(e->second), std::move(value));
  }

  struct slot {
    std::uint64_t hash = 0;
    entry item{};
  };

  std::size_t home(std::uint64_t h) const { return (h >> 1) & mask_; }

  // The slots that hold n entries at most three quarters full.
  static std::size_t capacity_for(std::size_t n) {
    std::size_t capacity = 64;
    while (n * 4 > capacity * 3) capacity *= 2;
    return capacity;
  }

  void grow() { resize(slots_.empty() ? 64 : slots_.size() * 2); }

  void resize(std::size_t capacity) {
    slots old(capacity);
    old.swap(slots_);
    mask_ = capacity - 1;
    for (auto& s : old) {
      if (s.hash == 0) continue;
      std::size_t at = home(s.hash);
      while (slots_[at].hash != 0) at = (at + 1) & mask_;
      slots_[at] = std::move(s);
    }
  }

  // Salts differ from table to table, and follow the same sequence in every run of a worker.
  static std::uint64_t next_salt() {
    static thread_local std::uint64_t tables = 0;
    return ++tables * 0x9e3779b97f4a7c15ULL;
  }

  using slots = std::vector<slot>;
  slots slots_;
  std::size_t size_ = 0;
  std::size_t mask_ = 0;
  std::uint64_t salt_ = next_salt();
};

}  // namespace constellation::dataflow::detail
