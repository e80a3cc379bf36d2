#pragma once
// A table of values indexed directly by an unsigned integer key: the value of key k sits at
// k - base in one array, beside a byte that says whether it is there. Where the keys are dense
// (vertex ids 0..n-1, the rows of a matrix) a lookup costs no hash, no probe and no comparison of
// keys, and since neither keys nor hashes are stored, the array is smaller than a hash table's
// for the same keys. keyed_table chooses it at run time when the keys turn out dense.
//
// The table covers a range of keys [base, base + slots); cover() widens it. Entries are drained in
// the order of their keys.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <utility>
#include <vector>

namespace constellation::dataflow::detail {

template <class V>
class direct_table {
 public:
  // The bytes one slot of the range takes.
  static constexpr std::size_t slot_bytes = sizeof(V) + 1;

  std::size_t size() const { return size_; }
  std::uint64_t base() const { return base_; }
  std::size_t slots() const { return slots_; }
  std::size_t table_bytes() const { return slots_ * slot_bytes; }

  bool covers(std::uint64_t key) const { return key - base_ < slots_; }

  // Makes the table cover [base, base + slots), keeping its entries, which must lie in it.
  void cover(std::uint64_t base, std::size_t slots) {
    // Default-initialised: numbers are not written before a key's first value, and the pages
    // of a slot no key reaches are never touched.
    std::unique_ptr<V[]> values(new V[slots]);
    std::vector<std::uint8_t> present(slots, 0);
    for (std::size_t i = 0; i < slots_; ++i) {
      if (!present_[i]) continue;
      const std::size_t at = base_ + i - base;
      values[at] = std::move(values_[i]);
      present[at] = 1;
    }
    values_.swap(values);
    present_.swap(present);
    base_ = base;
    slots_ = slots;
  }

  // The value of key (which the table covers); when there is none, make() is inserted first.
  // The bool says whether it was.
  template <class Make>
  std::pair<V*, bool> find_or_insert(std::uint64_t key, Make&& make) {
    const std::size_t at = key - base_;
    V* value = &values_[at];
    if (present_[at]) return {value, false};
    *value = make();
    present_[at] = 1;
    ++size_;
    return {value, true};
  }

  // Asks the processor to fetch the slot of key (which the table covers).
  void prefetch(std::uint64_t key) const {
    const std::size_t at = key - base_;
    __builtin_prefetch(&values_[at]);
    __builtin_prefetch(&present_[at]);
  }

  // Calls each(key, value) for every entry in the order of the keys (each may move from the
  // value), then empties the table; its range and arrays stay for the next entries.
  template <class Each>
  void drain(Each&& each) {
    for (std::size_t i = 0; i < slots_ && size_ > 0; ++i) {
      if (!present_[i]) continue;
      each(base_ + i, std::move(values_[i]));
      values_[i] = V();
      present_[i] = 0;
      --size_;
    }
  }

  // Empties the table and gives its arrays back.
  void release() { *this = direct_table(); }

 private:
  std::unique_ptr<V[]> values_;
  std::vector<std::uint8_t> present_;
  std::size_t slots_ = 0;
  std::uint64_t base_ = 0;
  std::size_t size_ = 0;
};

}  // namespace constellation::dataflow::detail
