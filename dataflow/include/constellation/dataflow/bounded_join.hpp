#pragma once
// The reduce side of a hash join, within a memory limit: the right side's rows go into a
// join_table, the left side's stream through it. When the table and what its rows hold outgrow the
// limit, its rows and the rest of the right side are split by a second hash of their key into
// buckets on disk, and so are the left side's rows; then each pair of buckets is joined in turn
// (split again if its right side outgrows the limit in its turn): a Grace hash join. A partition
// whose right side fits never touches the disk.

#include <constellation/dataflow/codec.hpp>
#include <constellation/dataflow/hash_split.hpp>
#include <constellation/dataflow/join_table.hpp>
#include <constellation/dataflow/node.hpp>
#include <constellation/dataflow/spill.hpp>
#include <constellation/dataflow/view_buffer.hpp>

#include <optional>
#include <span>
#include <type_traits>
#include <utility>
#include <vector>

namespace constellation::dataflow::detail {

template <class K, class V, class W, bool Outer>
using join_output = std::pair<K, std::pair<V, std::conditional_t<Outer, std::optional<W>, W>>>;

// Streams a batch of left pairs through the table of the right side: a row per match, pushed to
// a batch_buffer or assigned in place into a view_buffer's kept rows. Into a batch_buffer, the
// pairs of a batch the caller gives up (not const) are moved into their last row; the other rows
// are made of copies.
template <bool Outer, class K, class W, class Left, class Sink>
void probe(const join_table<K, W>& table, std::span<Left> batch, Sink& out) {
  const auto row = [&](Left& left, auto&& w, bool last) {
    if constexpr (requires { out.next(); }) {
      auto& kept = out.next();
      kept.first = left.first;
      kept.second.first = left.second;
      kept.second.second = std::forward<decltype(w)>(w);
    } else {
      using Out = typename Sink::element;
      if constexpr (!std::is_const_v<Left>)
        if (last)
          return out.push(
              Out(std::move(left.first), {std::move(left.second), std::forward<decltype(w)>(w)}));
      out.push(Out(left.first, {left.second, std::forward<decltype(w)>(w)}));
    }
  };
  table.probe_all(
      batch, [](const Left& left) -> const K& { return left.first; },
      [&](Left& left, const W& w, bool last) { row(left, w, last); },
      [&](Left& left) {
        if constexpr (Outer) row(left, std::nullopt, true);
      });
}

template <class K, class V, class W, bool Outer>
class bounded_join {
 public:
  using Out = join_output<K, V, W, Outer>;

  bounded_join(task_context& tc, std::size_t limit, std::size_t level = 0)
      : tc_(tc), limit_(limit), level_(level) {}

  // The right side, row by row; then seal().
  void add_right(K&& key, W&& row) {
    if (right_) return write(*right_, key, row);
    held_ += heap_bytes(key) + heap_bytes(row);
    table_.add(std::move(key), std::move(row));
    if (held_ + table_.table_bytes() > limit_ && level_ < hash_split::max_level) split();
  }
  // add_right() for every row of a batch, which it moves from: the table fetches the slots of the
  // next keys ahead (join_table::add_all). The limit is checked after the batch, which overshoots
  // it by a batch at most.
  void add_right_all(std::span<std::pair<K, W>> batch) {
    if (right_) {
      for (auto& [key, row] : batch) write(*right_, key, row);
      return;
    }
    if constexpr (!std::is_trivially_copyable_v<K> || !std::is_trivially_copyable_v<W>)
      for (const auto& [key, row] : batch) held_ += heap_bytes(key) + heap_bytes(row);
    table_.add_all(batch);
    if (held_ + table_.table_bytes() > limit_ && level_ < hash_split::max_level) split();
  }
  // Room for about n keys, when their table fits the limit.
  void reserve(std::size_t n) {
    if (n * (sizeof(K) + sizeof(W) + 16) * 2 <= limit_) table_.reserve(n);
  }

  void seal() {
    if (right_)
      tc_.count_spilled(right_->finish());
    else
      table_.seal();
  }

  // The left side, a batch at a time (moved from unless const), its rows to a batch_buffer<Out>
  // or a view_buffer<Out>.
  template <class Left, class Sink>
  void add_left(std::span<Left> batch, Sink& out) {
    if (!left_) return probe<Outer>(table_, batch, out);
    for (auto& left : batch) write(*left_, left.first, left.second);
  }

  // Joins the buckets, when the right side was split.
  template <class Sink>
  void finish(Sink& out) {
    if (!left_) return;
    tc_.count_spilled(left_->finish());
    for (std::size_t b = 0; b < hash_split::buckets; ++b) {
      bounded_join part(tc_, limit_, level_ + 1);
      right_->drain(b, [&](reader& in) {
        while (!in.done()) {
          auto key = decode<K>(in);
          part.add_right(std::move(key), decode<W>(in));
        }
      });
      part.seal();
      std::vector<std::pair<K, V>> batch;
      batch.reserve(batch_size);
      const auto join_batch = [&] {
        part.add_left(std::span<std::pair<K, V>>(batch), out);
        batch.clear();
      };
      left_->drain(b, [&](reader& in) {
        while (!in.done()) {
          batch.push_back(decode<std::pair<K, V>>(in));
          if (batch.size() == batch_size) join_batch();
        }
      });
      join_batch();
      part.finish(out);
    }
  }

 private:
  template <class Row>
  static void write(hash_split& split, const K& key, const Row& row) {
    const auto b = split.bucket_of(key);
    auto& frame = split.frame(b);
    encode(frame, key);
    encode(frame, row);
    split.next(b);
  }

  // Moves the table's rows to the right side's buckets; the rest of both sides follows them.
  void split() {
    // Each side's frames take a quarter of the limit.
    right_.emplace(level_, limit_ / 4);
    left_.emplace(level_, limit_ / 4);
    table_.drain([&](K&& key, W&& row) { write(*right_, key, row); });
    held_ = 0;
  }

  task_context& tc_;
  const std::size_t limit_;
  const std::size_t level_;
  join_table<K, W> table_;
  std::size_t held_ = 0;  // what keys and rows hold beyond the table's arrays
  std::optional<hash_split> right_, left_;
};

}  // namespace constellation::dataflow::detail
