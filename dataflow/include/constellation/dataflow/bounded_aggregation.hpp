#pragma once
// The reduce side of reduce_by_key, group_by_key and distinct: one entry per key, within a memory
// limit. Records are gathered in a keyed_table (a hash table, or an array indexed by the key where
// integer keys turn out dense); when the table and what its entries hold outgrow the limit, its
// entries are split by a second hash of their key into buckets on disk (hash_split), the table
// starts afresh, and so on to the end of the input. Then each bucket is gathered in turn (split
// again if it outgrows the limit in its turn), as Spark, Thrill and a Grace hash join do. A
// partition whose keys fit in the limit never touches the disk.
//
// A Policy says how records become an entry's aggregate A:
//   A start(V&&)                 the aggregate of a key's first record
//   std::size_t fold(A&, V&&)    adds a record; returns the bytes it adds to what A holds
//   void merge(A&, A&&)          adds an aggregate read back from a bucket
// Memory is counted as the table's array plus what keys and aggregates hold beyond it (an
// aggregate that a merge makes larger, as a user's reduce function may, is counted as it started).

#include <constellation/dataflow/codec.hpp>
#include <constellation/dataflow/hash_split.hpp>
#include <constellation/dataflow/keyed_table.hpp>
#include <constellation/dataflow/node.hpp>
#include <constellation/dataflow/spill.hpp>

#include <cstddef>
#include <optional>
#include <utility>

namespace constellation::dataflow::detail {

// A table entry's value where only the key counts (distinct).
struct no_value {};
template <>
struct codec<no_value> {
  static void encode(std::string&, const no_value&) {}
  static void decode(reader&, no_value&) {}
};

template <class K, class A, class Policy>
class bounded_aggregation {
 public:
  bounded_aggregation(task_context& tc, const Policy& policy, std::size_t limit,
                      std::size_t level = 0)
      : tc_(tc), policy_(policy), limit_(limit), level_(level) {}

  // Makes room for about n keys (no more than the limit allows): see keyed_table::reserve.
  void reserve(std::size_t n) {
    const std::size_t slot = sizeof(K) + sizeof(A) + sizeof(std::uint64_t);
    table_.reserve(std::min(n, limit_ / 4 / slot));
  }
  std::size_t keys() const { return table_.size(); }

  // Adds a record: key (a K or a view of one), value() its value (called once).
  template <class Q, class Value>
  void add(Q&& key, Value&& value) {
    insert(
        std::forward<Q>(key), [&] { return policy_.start(value()); },
        [&](A& aggregate) { return policy_.fold(aggregate, value()); });
  }

  // Hands each (key, aggregate) pair to each (which may move from it), then is empty.
  template <class Each>
  void finish(Each&& each) {
    if (!split_) {
      table_.drain(each);
      return;
    }
    spill();
    tc_.count_spilled(split_->finish());
    for (std::size_t b = 0; b < hash_split::buckets; ++b) {
      bounded_aggregation part(tc_, policy_, limit_, level_ + 1);
      split_->drain(b, [&](reader& in) {
        while (!in.done()) {
          auto key = decode_view<K>(in);
          part.insert(
              std::move(key), [&] { return decode<A>(in); },
              [&](A& aggregate) {
                policy_.merge(aggregate, decode<A>(in));
                return std::size_t(0);
              });
        }
      });
      part.finish(each);
    }
  }

 private:
  template <class Q, class Start, class Fold>
  void insert(Q&& key, Start&& start, Fold&& fold) {
    const auto e = table_.find_or_insert(std::forward<Q>(key), start);
    held_ += e.inserted ? (e.key ? heap_bytes(*e.key) : 0) + heap_bytes(*e.value) : fold(*e.value);
    if (held_ + table_.table_bytes() > limit_ && level_ < hash_split::max_level) spill();
  }

  // Writes the table's entries to their buckets and empties it.
  void spill() {
    // The buckets' frames take a quarter of the limit beside the table.
    if (!split_) split_.emplace(level_, limit_ / 4);
    table_.drain([&](std::pair<K, A>&& e) {
      const auto b = split_->bucket_of(e.first);
      encode(split_->frame(b), e);
      split_->next(b);
    });
    table_.release();
    held_ = 0;
  }

  task_context& tc_;
  const Policy& policy_;
  const std::size_t limit_;
  const std::size_t level_;
  keyed_table<K, A> table_;
  std::size_t held_ = 0;  // what entries hold beyond the table's array
  std::optional<hash_split> split_;
};

// The share of a worker's budget a reduce side's table may take: received blocks may take a
// quarter beside it, the buckets' frames a quarter of it, and what it hands on some more.
inline std::size_t reduce_side_limit(const task_context& tc) {
  return std::max<std::size_t>(tc.memory_budget() / 8, 1 << 20);
}

}  // namespace constellation::dataflow::detail
