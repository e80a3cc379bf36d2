#pragma once
// The table a combiner merges values in: open addressing with linear probing over one array of
// entries and one of hashes, a power-of-two size and no division. A word count looks up every word
// here, so a lookup must cost a hash and, mostly, one cache line, not a walk along a node chain as
// in std::unordered_map.

#include <cstddef>
#include <cstdint>
#include <functional>
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
  std::size_t size() const { return size_; }

  // Inserts (key, value), or merges value into the key's entry as merge(old, value).
  template <class Merge>
  void add(K&& key, V&& value, Merge&& merge) {
    if ((size_ + 1) * 4 > hashes_.size() * 3) grow();
    const std::uint64_t h = mix_hash(std::hash<K>{}(key)) | 1;  // 0 marks an empty place
    for (std::size_t at = h & mask_;; at = (at + 1) & mask_) {
      if (hashes_[at] == 0) {
        hashes_[at] = h;
        entries_[at] = {std::move(key), std::move(value)};
        ++size_;
        return;
      }
      if (hashes_[at] == h && entries_[at].first == key) {
        entries_[at].second = merge(std::move(entries_[at].second), std::move(value));
        return;
      }
    }
  }

  // Hands every entry to each (which may move from it), then empties the table.
  template <class Each>
  void drain(Each&& each) {
    for (std::size_t at = 0; at < hashes_.size(); ++at)
      if (hashes_[at] != 0) each(std::move(entries_[at]));
    hashes_.assign(hashes_.size(), 0);
    entries_.assign(entries_.size(), {});
    size_ = 0;
  }

 private:
  void grow() {
    const std::size_t capacity = hashes_.empty() ? 64 : hashes_.size() * 2;
    std::vector<std::uint64_t> old_hashes(capacity, 0);
    std::vector<std::pair<K, V>> old_entries(capacity);
    old_hashes.swap(hashes_);
    old_entries.swap(entries_);
    mask_ = capacity - 1;
    for (std::size_t i = 0; i < old_hashes.size(); ++i) {
      if (old_hashes[i] == 0) continue;
      std::size_t at = old_hashes[i] & mask_;
      while (hashes_[at] != 0) at = (at + 1) & mask_;
      hashes_[at] = old_hashes[i];
      entries_[at] = std::move(old_entries[i]);
    }
  }

  std::vector<std::uint64_t> hashes_;
  std::vector<std::pair<K, V>> entries_;
  std::size_t size_ = 0;
  std::size_t mask_ = 0;
};

}  // namespace constellation::dataflow::detail
