#pragma once
// The build side of a hash join: every row of one side, found by key. A key's first row sits in
// the key's slot of a flat_table; seal() places the other rows of each key side by side (a
// counting sort) and writes where they are into the key's slot. A probe then costs one table
// lookup (one cache line, its miss overlapped with those of the next keys by probe_all), and one
// contiguous read only for keys with several rows; no row or key owns a node or a vector of its
// own.

#include <constellation/dataflow/flat_table.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>
#include <utility>
#include <vector>

namespace constellation::dataflow::detail {

template <class K, class W>
class join_table {
 public:
  std::size_t rows() const { return rows_; }
  std::size_t keys() const { return index_.size(); }
  // The bytes of the table's arrays (seal() briefly needs those of the extra rows again).
  std::size_t table_bytes() const {
    return index_.table_bytes() + pending_.capacity() * sizeof(pending_row) +
           extra_.capacity() * sizeof(W) + counts_.capacity() * sizeof(std::uint32_t);
  }

  void add(K&& key, W&& row) { add_hashed(std::move(key), std::move(row), index_.hash_of(key)); }

  // add() for every row of a batch (which it moves from), the slots of the next few keys fetched
  // while the current one is placed, as flat_table::add_all does: a table beyond the processor's
  // caches would otherwise wait for memory at every row.
  void add_all(std::span<std::pair<K, W>> batch) {
    constexpr std::size_t ahead = 16;
    std::uint64_t hashes[ahead];
    const std::size_t n = batch.size();
    for (std::size_t i = 0; i < std::min(ahead, n); ++i)
      index_.prefetch(hashes[i] = index_.hash_of(batch[i].first));
    for (std::size_t i = 0; i < n; ++i) {
      const std::uint64_t h = hashes[i % ahead];
      if (i + ahead < n)
        index_.prefetch(hashes[i % ahead] = index_.hash_of(batch[i + ahead].first));
      add_hashed(std::move(batch[i].first), std::move(batch[i].second), h);
    }
  }

  // Room for n keys at once (join_table grows as flat_table does otherwise).
  void reserve(std::size_t n) { index_.reserve(n); }

  // Hands every row to each(key, row) (which may move from both), then is empty. Before seal().
  template <class Each>
  void drain(Each&& each) {
    std::vector<const K*> key_of(counts_.size());
    index_.for_each([&](const std::pair<K, head>& e) { key_of[e.second.begin] = &e.first; });
    for (auto& extra : pending_) each(K(*key_of[extra.key]), std::move(extra.row));
    index_.drain(
        [&](std::pair<K, head>&& e) { each(std::move(e.first), std::move(e.second.first)); });
    *this = join_table();
  }

  // Ends the adding: the extra rows of each key are placed together.
  void seal() {
    // counts_[g] counts key g's extra rows: turn the counts into where each key's rows end.
    std::uint32_t at = 0;
    for (auto& count : counts_) at = count += at;
    extra_.resize(pending_.size());
    for (auto it = pending_.rbegin(); it != pending_.rend(); ++it)
      extra_[--counts_[it->key]] = std::move(it->row);
    // counts_[g] is now where key g's extra rows begin; they end where key g + 1's begin.
    counts_.push_back(static_cast<std::uint32_t>(extra_.size()));
    index_.for_each_mutable([&](std::pair<K, head>& e) {
      const auto g = e.second.begin;
      e.second.begin = counts_[g];
      e.second.end = counts_[g + 1];
    });
    pending_ = std::vector<pending_row>();
    counts_ = std::vector<std::uint32_t>();
  }

  // Calls each(row, last) for every row of key, last true for the last one; returns whether
  // there was any. After seal().
  template <class Q, class Each>
  bool probe(const Q& key, Each&& each) const {
    return probe_hashed(key, index_.hash_of(key), each);
  }

  // probe(key_of(item), each(item, row, last)) for every item of a batch, the table's slots of the
  // next few keys fetched ahead. each may move from the item at its last row.
  template <class T, class KeyOf, class Each, class Missing>
  void probe_all(std::span<T> batch, KeyOf&& key_of, Each&& each, Missing&& missing) const {
    constexpr std::size_t ahead = 16;
    std::uint64_t hashes[ahead];
    const std::size_t n = batch.size();
    for (std::size_t i = 0; i < std::min(ahead, n); ++i)
      index_.prefetch(hashes[i] = index_.hash_of(key_of(batch[i])));
    for (std::size_t i = 0; i < n; ++i) {
      const std::uint64_t h = hashes[i % ahead];
      if (i + ahead < n)
        index_.prefetch(hashes[i % ahead] = index_.hash_of(key_of(batch[i + ahead])));
      if (!probe_hashed(key_of(batch[i]), h,
                        [&](const W& row, bool last) { each(batch[i], row, last); }))
        missing(batch[i]);
    }
  }

 private:
  // A key's first row, and while adding the key's number, then its extra rows' range.
  struct head {
    W first;
    std::uint32_t begin = 0;
    std::uint32_t end = 0;
  };
  struct pending_row {
    std::uint32_t key;
    W row;
  };

  void add_hashed(K&& key, W&& row, std::uint64_t h) {
    ++rows_;
    auto [e, inserted] = index_.find_or_insert(key, h, [&] {
      const auto number = static_cast<std::uint32_t>(counts_.size());
      counts_.push_back(0);
      return std::pair<K, head>(std::move(key), head{std::move(row), number, 0});
    });
    if (inserted) return;
    ++counts_[e->second.begin];
    pending_.push_back({e->second.begin, std::move(row)});
  }

  template <class Q, class Each>
  bool probe_hashed(const Q& key, std::uint64_t h, Each&& each) const {
    const auto* e = index_.find(key, h);
    if (!e) return false;
    const head& rows = e->second;
    each(rows.first, rows.begin == rows.end);
    for (std::uint32_t i = rows.begin; i < rows.end; ++i) each(extra_[i], i + 1 == rows.end);
    return true;
  }

  flat_table<K, head> index_;
  std::size_t rows_ = 0;
  std::vector<pending_row>
      pending_;  // the rows after a key's first, as added, with the key's number
  std::vector<std::uint32_t>
      counts_;            // per key number: its extra rows, then where they begin (seal)
  std::vector<W> extra_;  // sealed: the extra rows, each key's side by side
};

}  // namespace constellation::dataflow::detail
