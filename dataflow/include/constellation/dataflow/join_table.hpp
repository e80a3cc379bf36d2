#pragma once
// The build side of a hash join: every row of one side, found by key. Rows are added with the key
// numbered by a flat_table, then seal() places the rows of each key side by side (a counting
// sort), so that a probe costs one table lookup and one contiguous read, and no row or key owns a
// node or a vector of its own.

#include <constellation/dataflow/flat_table.hpp>

#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

namespace constellation::dataflow::detail {

template <class K, class W>
class join_table {
 public:
  std::size_t rows() const { return sealed_ ? rows_.size() : pending_.size(); }
  std::size_t keys() const { return index_.size(); }
  // The bytes of the table's arrays, while rows are added (seal() briefly needs as much again).
  std::size_t table_bytes() const {
    return index_.table_bytes() + pending_.capacity() * sizeof(pending_row) + rows_.capacity() * sizeof(W) +
           ends_.capacity() * sizeof(std::uint32_t);
  }

  void add(K&& key, W&& row) {
    const auto h = index_.hash_of(key);
    auto [e, inserted] = index_.find_or_insert(key, h, [&] { return std::pair<K, std::uint32_t>(std::move(key), keys_++); });
    if (inserted) ends_.push_back(0);
    ++ends_[e->second];
    pending_.push_back({e->second, std::move(row)});
  }

  // Ends the adding: the rows of each key are placed together.
  void seal() {
    // ends_[g] counts key g's rows: turn the counts into where each key's rows end.
    std::uint32_t at = 0;
    for (auto& end : ends_) at = end += at;
    rows_.resize(pending_.size());
    for (auto it = pending_.rbegin(); it != pending_.rend(); ++it) rows_[--ends_[it->key]] = std::move(it->row);
    // ends_[g] is now where key g's rows begin; they end where key g + 1's begin.
    ends_.push_back(static_cast<std::uint32_t>(rows_.size()));
    pending_ = std::vector<pending_row>();
    sealed_ = true;
  }

  // Calls each(row, last) for every row of key, last true for the last one; returns whether
  // there was any. After seal().
  template <class Q, class Each>
  bool probe(const Q& key, Each&& each) const {
    const auto* e = index_.find(key, index_.hash_of(key));
    if (!e) return false;
    const std::uint32_t begin = ends_[e->second], end = ends_[e->second + 1];
    for (std::uint32_t i = begin; i < end; ++i) each(rows_[i], i + 1 == end);
    return true;
  }

 private:
  struct pending_row {
    std::uint32_t key;
    W row;
  };
  flat_table<K, std::uint32_t> index_;  // key -> its number
  std::uint32_t keys_ = 0;
  std::vector<pending_row> pending_;  // rows as added, with their key's number
  std::vector<std::uint32_t> ends_;   // per key: its row count, then where its rows begin (see seal)
  std::vector<W> rows_;               // sealed: the rows of key g at [ends_[g], ends_[g + 1])
  bool sealed_ = false;
};

}  // namespace constellation::dataflow::detail
