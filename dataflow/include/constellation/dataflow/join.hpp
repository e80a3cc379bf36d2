#pragma once
// Hash joins: join and left_outer_join. Both sides are routed by key into the same partitions (or
// are partitioned alike already); each output partition builds a table of its right side and
// streams its left side through it (a bounded_join: beyond its share of the memory budget, in
// parts on disk).

#include <constellation/dataflow/bounded_aggregation.hpp>
#include <constellation/dataflow/bounded_join.hpp>
#include <constellation/dataflow/shuffle.hpp>

#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace constellation::dataflow::detail {

template <class K, class V, class W, bool Outer>
class join_node final
    : public shuffle_node<join_output<K, V, W, Outer>, join_node<K, V, W, Outer>> {
  using Out = join_output<K, V, W, Outer>;
  using base = shuffle_node<Out, join_node>;
  friend base;

 public:
  join_node(node_ptr<std::pair<K, V>> left, node_ptr<std::pair<K, W>> right, std::size_t partitions)
      : base(left->owner_ptr(), partitions), left_(std::move(left)), right_(std::move(right)) {}

  std::string kind() const override { return Outer ? "left_outer_join" : "join"; }
  std::vector<const node_base*> parents() const override { return {left_.get(), right_.get()}; }
  std::size_t map_tasks() const override { return left_->partitions() + right_->partitions(); }
  std::optional<origin> map_origin(std::size_t task) const override {
    return task < left_->partitions() ? left_->origin_of(task)
                                      : right_->origin_of(task - left_->partitions());
  }
  void save_config(std::string&) const {}
  void load_config(reader&) {}
  void save_map_input(std::string& out, std::size_t task) const {
    const bool left = task < left_->partitions();
    const std::size_t q = left ? task : task - left_->partitions();
    encode(out, left);
    encode(out, std::uint64_t(q));
    if (left)
      left_->save(out, q);
    else
      right_->save(out, q);
  }

  static void map(task_context& tc, reader& in, std::uint32_t task) {
    auto [frame, self] = base::load_map_frame(in);
    (void)task;  // the side's own partition index travels with the task
    const bool left = decode<bool>(in);
    const auto q = decode<std::uint64_t>(in);
    if (left)
      write_side<V>(tc, *load_node<std::pair<K, V>>(in), q, frame, left_side);
    else
      write_side<W>(tc, *load_node<std::pair<K, W>>(in), q, frame, right_side);
  }

  // Blocks of both sides arrive mixed: the right side's are read into the table first, then the
  // left side's stream through it.
  void compute(task_context& tc, std::size_t r, batch_sink<Out> sink) const override {
    bounded_join<K, V, W, Outer> join(tc, reduce_side_limit(tc));
    std::vector<std::pair<K, W>> right;
    right.reserve(batch_size);
    const auto add_right = [&] {
      join.add_right_all(std::span<std::pair<K, W>>(right));
      right.clear();
    };
    this->read_encoded(tc, r, right_side, [&](reader& in) {
      right.push_back(decode<std::pair<K, W>>(in));
      if (right.size() == batch_size) add_right();
    });
    add_right();
    join.seal();
    batch_buffer<Out> out(sink);
    std::vector<std::pair<K, V>> left;
    left.reserve(batch_size);
    const auto join_left = [&] {
      join.add_left(std::span<std::pair<K, V>>(left), out);
      left.clear();
    };
    this->read_encoded(tc, r, left_side, [&](reader& in) {
      left.push_back(decode<std::pair<K, V>>(in));
      if (left.size() == batch_size) join_left();
    });
    join_left();
    join.finish(out);
    out.flush();
  }

 private:
  static constexpr std::uint8_t left_side = 0, right_side = 1;  // the first byte of a block
  join_node() = default;

  template <class X>
  static void write_side(task_context& tc, const node<std::pair<K, X>>& side, std::size_t task,
                         const typename base::map_frame& frame, std::uint8_t tag) {
    block_writer out(tc, frame.shuffle, frame.target, frame.partitions, tag);
    side.compute_view(tc, task, [&](std::span<const std::pair<K, X>> batch) {
      for (const auto& entry : batch) out.add(hash_partition(entry.first, frame.partitions), entry);
    });
    out.finish();
  }

  node_ptr<std::pair<K, V>> left_;
  node_ptr<std::pair<K, W>> right_;
};

// A join of two datasets partitioned alike by key (outputs of keyed shuffles over the same number
// of partitions, and what keeps their keys): partition p of each side holds the same keys, so
// partition p of the join reads partition p of both where they are, with no shuffle. Iterative
// jobs (PageRank's cached links joined with each round's ranks) then shuffle only what changed.
template <class K, class V, class W, bool Outer>
class local_join_node final : public node<join_output<K, V, W, Outer>> {
  using Out = join_output<K, V, W, Outer>;

 public:
  local_join_node(node_ptr<std::pair<K, V>> left, node_ptr<std::pair<K, W>> right)
      : node<Out>(left->owner_ptr(), left->partitions()),
        left_(std::move(left)),
        right_(std::move(right)) {}

  std::string kind() const override { return Outer ? "left_outer_join" : "join"; }
  std::vector<const node_base*> parents() const override { return {left_.get(), right_.get()}; }
  std::size_t hash_partitioned() const override { return left_->hash_partitioned(); }
  // A shuffle's partition cannot move; a cached one is recomputed where the task runs if need be.
  std::optional<origin> origin_of(std::size_t p) const override {
    auto left = left_->origin_of(p), right = right_->origin_of(p);
    if (left && left->stored->wide()) return left;
    if (right && right->stored->wide()) return right;
    return left ? left : right;
  }

  void compute(task_context& tc, std::size_t p, batch_sink<Out> sink) const override {
    batch_buffer<Out> out(sink);
    join_into(tc, p, out);
  }
  // A consumer that only reads the rows (a map, a flat_map, an action) gets rows kept from batch
  // to batch: a left value copied into a kept row reuses its allocation.
  void compute_view(task_context& tc, std::size_t p, view_sink<Out> sink) const override {
    view_buffer<Out> out(sink);
    join_into(tc, p, out);
  }

  void save(std::string& out, std::size_t p) const override {
    save_loader<local_join_node>(out);
    left_->save(out, p);
    right_->save(out, p);
  }
  static node_ptr<Out> load(reader& in) {
    auto left = load_node<std::pair<K, V>>(in);
    auto right = load_node<std::pair<K, W>>(in);
    return std::shared_ptr<local_join_node>(
        new local_join_node(1, std::move(left), std::move(right)));
  }

 private:
  local_join_node(std::size_t partitions, node_ptr<std::pair<K, V>> left,
                  node_ptr<std::pair<K, W>> right)
      : node<Out>(partitions), left_(std::move(left)), right_(std::move(right)) {}

  // Joins partition p into out (a batch_buffer<Out> or a view_buffer<Out>).
  template <class Sink>
  void join_into(task_context& tc, std::size_t p, Sink& out) const {
    bounded_join<K, V, W, Outer> join(tc, reduce_side_limit(tc));
    // The keys this join's last partition had (in this worker) are a guess at this one's: the
    // next partition alike, or the next iteration of a loop.
    static thread_local std::size_t keys_seen = 0;
    join.reserve(keys_seen);
    std::size_t rows = 0;
    right_->compute(tc, p, [&](std::span<std::pair<K, W>> batch) {
      rows += batch.size();
      join.add_right_all(batch);
    });
    keys_seen = rows;
    join.seal();
    // A left side that keeps its elements (a cache) lends them: each row copies what it needs.
    if (left_->lends_elements()) {
      left_->compute_view(
          tc, p, [&](std::span<const std::pair<K, V>> batch) { join.add_left(batch, out); });
    } else {
      left_->compute(tc, p, [&](std::span<std::pair<K, V>> batch) { join.add_left(batch, out); });
    }
    join.finish(out);
    out.flush();
  }
  node_ptr<std::pair<K, V>> left_;
  node_ptr<std::pair<K, W>> right_;
};

}  // namespace constellation::dataflow::detail
