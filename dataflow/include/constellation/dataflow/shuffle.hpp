#pragma once
// Wide operations: each is a shuffle. Its map stage reads the parents' partitions and pushes every
// element, in blocks of a few hundred KiB, straight to the worker that owns the element's output
// partition; that worker keeps the blocks, and the node's compute() turns them into the output
// partition (merging, grouping, joining or sorting). The driver sees none of the data.

#include <constellation/dataflow/node.hpp>
#include <constellation/dataflow/flat_table.hpp>

#include <algorithm>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

namespace constellation::dataflow::detail {

// Maps a mixed hash to [0, n) without a division.
inline std::size_t scale_to(std::uint64_t h, std::size_t n) {
  return static_cast<std::size_t>((static_cast<uint128>(h) * n) >> 64);
}
template <class K>
std::size_t hash_partition(const K& key, std::size_t partitions) {
  return scale_to(mix_hash(std::hash<K>{}(key)), partitions);
}

// Encodes elements into one block per output partition and sends a block when it is full.
class block_writer {
 public:
  block_writer(task_context& tc, std::uint64_t shuffle, const write_target& target, std::size_t partitions,
               std::uint8_t side = 0)
      : tc_(tc), shuffle_(shuffle), target_(target), side_(side), blocks_(partitions),
        block_bytes_(std::clamp<std::size_t>(tc.memory_budget() / 16 / std::max<std::size_t>(partitions, 1),
                                             16 * 1024, 256 * 1024)) {}

  template <class T>
  void add(std::size_t partition, const T& value) {
    if (!target_.wanted(partition)) return;
    auto& block = blocks_[partition];
    if (block.empty()) {
      block.reserve(block_bytes_ + block_bytes_ / 8);
      block.push_back(static_cast<char>(side_));
    }
    encode(block, value);
    if (block.size() >= block_bytes_) send(partition);
  }

  void finish() {
    for (std::size_t r = 0; r < blocks_.size(); ++r)
      if (!blocks_[r].empty()) send(r);
  }

 private:
  void send(std::size_t partition) {
    tc_.push_block(shuffle_, target_.attempt, static_cast<std::uint32_t>(partition), std::move(blocks_[partition]));
    blocks_[partition] = std::string();
  }

  task_context& tc_;
  std::uint64_t shuffle_;
  const write_target& target_;
  std::uint8_t side_;
  std::vector<std::string> blocks_;
  std::size_t block_bytes_;
};

// Calls each(side, element) for every element of the blocks of a shuffle's partition.
template <class T, class Each>
void read_elements(task_context& tc, std::uint64_t shuffle, std::size_t partition, std::uint32_t attempt, Each&& each) {
  tc.read_blocks(shuffle, static_cast<std::uint32_t>(partition), attempt, [&](std::string_view block) {
    reader in(block);
    const auto side = static_cast<std::uint8_t>(*in.take(1));
    std::size_t n = 0;
    while (!in.done()) {
      each(side, decode<T>(in));
      ++n;
    }
    tc.count_records_in(n);
  });
}

// What every shuffle shares: the output side (which attempt of which partition a worker reads)
// and the map task's frame (entry, shuffle id, target).
template <class Out, class Self>
class shuffle_node : public node<Out>, public wide_base {
 public:
  shuffle_node(std::shared_ptr<driver> d, std::size_t partitions) : node<Out>(std::move(d), partitions) {}

  const wide_base* wide() const override { return this; }
  // Partition p is read where its blocks were sent: by the worker that owns p.
  std::optional<origin> origin_of(std::size_t p) const override { return origin{this, p}; }
  // Every keyed shuffle routes by hash_partition over its partitions (sort overrides this).
  std::size_t hash_partitioned() const override { return this->partitions(); }

  void save(std::string& out, std::size_t r) const override {
    save_loader<Self>(out);
    encode(out, this->id());
    encode(out, shuffle_attempt(this->owner(), this->id(), r));
    static_cast<const Self*>(this)->save_config(out);
  }

  static node_ptr<Out> load(reader& in) {
    std::shared_ptr<Self> self(new Self());
    decode(in, self->shuffle_);
    decode(in, self->attempt_);
    self->load_config(in);
    return self;
  }

  std::string map_task(std::size_t task, const write_target& target) const override {
    std::string out;
    encode(out, entry_ref<&Self::map>());
    encode(out, this->id());
    encode(out, std::uint64_t(this->partitions()));
    target.save(out);
    static_cast<const Self*>(this)->save_config(out);
    static_cast<const Self*>(this)->save_map_input(out, task);
    return out;
  }

 protected:
  shuffle_node() : node<Out>(1) {}

  // The frame of a map task, as map_task() wrote it.
  struct map_frame {
    std::uint64_t shuffle = 0;
    std::size_t partitions = 0;
    write_target target;
  };
  static std::pair<map_frame, std::shared_ptr<Self>> load_map_frame(reader& in) {
    map_frame frame;
    decode(in, frame.shuffle);
    frame.partitions = decode<std::uint64_t>(in);
    frame.target.load(in);
    std::shared_ptr<Self> self(new Self());
    self->load_config(in);
    return {std::move(frame), std::move(self)};
  }

  template <class T, class Each>
  void read(task_context& tc, std::size_t r, Each&& each) const {
    read_elements<T>(tc, shuffle_, r, attempt_, std::forward<Each>(each));
  }

  std::uint64_t shuffle_ = this->id();
  std::uint32_t attempt_ = 0;
};

// The one-parent map side: compute the parent's partition and hand each element to write().
template <class In, class Out, class Self>
class unary_shuffle : public shuffle_node<Out, Self> {
 public:
  unary_shuffle(node_ptr<In> parent, std::size_t partitions)
      : shuffle_node<Out, Self>(parent->owner_ptr(), partitions), parent_(std::move(parent)) {}

  std::vector<const node_base*> parents() const override { return {parent_.get()}; }
  std::size_t map_tasks() const override { return parent_->partitions(); }
  std::optional<origin> map_origin(std::size_t task) const override { return parent_->origin_of(task); }
  void save_map_input(std::string& out, std::size_t task) const { parent_->save(out, task); }

  static void map(task_context& tc, reader& in, std::uint32_t task) {
    auto [frame, self] = Self::load_map_frame(in);
    auto parent = load_node<In>(in);
    self->write(tc, *parent, task, frame);
  }

 protected:
  unary_shuffle() = default;
  node_ptr<In> parent_;
};

// Keyed shuffles route each pair by its key's hash.
template <class K, class V, class F, class State>
class reduce_by_key_node final
    : public unary_shuffle<std::pair<K, V>, std::pair<K, V>, reduce_by_key_node<K, V, F, State>> {
  using base = unary_shuffle<std::pair<K, V>, std::pair<K, V>, reduce_by_key_node>;
  friend base;
  friend shuffle_node<std::pair<K, V>, reduce_by_key_node>;
  using map_frame_t = typename shuffle_node<std::pair<K, V>, reduce_by_key_node>::map_frame;

 public:
  reduce_by_key_node(node_ptr<std::pair<K, V>> parent, std::size_t partitions, F f, State state)
      : base(std::move(parent), partitions) {
    f_.f = f;
    if constexpr (!std::is_same_v<State, no_state>) state_.value = std::move(state);
  }
  std::string kind() const override { return "reduce_by_key"; }

  void save_config(std::string& out) const {
    f_.save(out);
    state_.save(out);
  }
  void load_config(reader& in) {
    f_.load(in);
    state_.load(in);
  }

  // Combines on the map side, so that a key crosses the network once per map task; a combiner
  // that outgrows its share of the memory budget is sent and started afresh.
  void write(task_context& tc, const node<std::pair<K, V>>& parent, std::size_t task, const map_frame_t& frame) const {
    block_writer out(tc, frame.shuffle, frame.target, frame.partitions);
    flat_table<K, V> combined;
    const std::size_t limit = std::max<std::size_t>(1024, tc.memory_budget() / 4 / (2 * (sizeof(K) + sizeof(V)) + 48));
    const auto merge = [this](V&& a, V&& b) { return call_user(f_, state_, std::move(a), std::move(b)); };
    auto drain = [&] {
      combined.drain([&](std::pair<K, V>&& entry) { out.add(hash_partition(entry.first, frame.partitions), entry); });
    };
    parent.compute(tc, task, [&](std::span<std::pair<K, V>> batch) {
      for (auto& [k, v] : batch) combined.add(std::move(k), std::move(v), merge);
      if (combined.size() > limit) drain();
    });
    drain();
    out.finish();
  }

  void compute(task_context& tc, std::size_t r, batch_sink<std::pair<K, V>> sink) const override {
    flat_table<K, V> merged;
    const auto merge = [this](V&& a, V&& b) { return call_user(f_, state_, std::move(a), std::move(b)); };
    this->template read<std::pair<K, V>>(tc, r, [&](std::uint8_t, std::pair<K, V>&& entry) {
      merged.add(std::move(entry.first), std::move(entry.second), merge);
    });
    batch_buffer<std::pair<K, V>> out(sink);
    merged.drain([&](std::pair<K, V>&& entry) { out.push(std::move(entry)); });
    out.flush();
  }

 private:
  reduce_by_key_node() = default;
  user_function<F> f_;
  state_holder<State> state_;
};

template <class K, class V>
class group_by_key_node final
    : public unary_shuffle<std::pair<K, V>, std::pair<K, std::vector<V>>, group_by_key_node<K, V>> {
  using base = unary_shuffle<std::pair<K, V>, std::pair<K, std::vector<V>>, group_by_key_node>;
  friend base;
  friend shuffle_node<std::pair<K, std::vector<V>>, group_by_key_node>;
  using map_frame_t = typename shuffle_node<std::pair<K, std::vector<V>>, group_by_key_node>::map_frame;

 public:
  group_by_key_node(node_ptr<std::pair<K, V>> parent, std::size_t partitions) : base(std::move(parent), partitions) {}
  std::string kind() const override { return "group_by_key"; }
  void save_config(std::string&) const {}
  void load_config(reader&) {}

  void write(task_context& tc, const node<std::pair<K, V>>& parent, std::size_t task, const map_frame_t& frame) const {
    block_writer out(tc, frame.shuffle, frame.target, frame.partitions);
    parent.compute(tc, task, [&](std::span<std::pair<K, V>> batch) {
      for (auto& entry : batch) out.add(hash_partition(entry.first, frame.partitions), entry);
    });
    out.finish();
  }

  void compute(task_context& tc, std::size_t r, batch_sink<std::pair<K, std::vector<V>>> sink) const override {
    std::unordered_map<K, std::vector<V>> groups;
    this->template read<std::pair<K, V>>(
        tc, r, [&](std::uint8_t, std::pair<K, V>&& entry) { groups[std::move(entry.first)].push_back(std::move(entry.second)); });
    batch_buffer<std::pair<K, std::vector<V>>> out(sink);
    for (auto& g : groups) out.push(std::pair<K, std::vector<V>>(g.first, std::move(g.second)));
    out.flush();
  }

 private:
  group_by_key_node() = default;
};

template <class T>
class distinct_node final : public unary_shuffle<T, T, distinct_node<T>> {
  using base = unary_shuffle<T, T, distinct_node>;
  friend base;
  friend shuffle_node<T, distinct_node>;
  using map_frame_t = typename shuffle_node<T, distinct_node>::map_frame;

 public:
  distinct_node(node_ptr<T> parent, std::size_t partitions) : base(std::move(parent), partitions) {}
  std::string kind() const override { return "distinct"; }
  std::size_t hash_partitioned() const override { return 0; }  // not by a key
  void save_config(std::string&) const {}
  void load_config(reader&) {}

  void write(task_context& tc, const node<T>& parent, std::size_t task, const map_frame_t& frame) const {
    block_writer out(tc, frame.shuffle, frame.target, frame.partitions);
    std::unordered_set<T> seen;
    const std::size_t limit = std::max<std::size_t>(1024, tc.memory_budget() / 4 / (sizeof(T) + 32));
    auto drain = [&] {
      for (const auto& x : seen) out.add(hash_partition(x, frame.partitions), x);
      seen.clear();
    };
    parent.compute(tc, task, [&](std::span<T> batch) {
      for (auto& x : batch) seen.insert(std::move(x));
      if (seen.size() > limit) drain();
    });
    drain();
    out.finish();
  }

  void compute(task_context& tc, std::size_t r, batch_sink<T> sink) const override {
    std::unordered_set<T> seen;
    this->template read<T>(tc, r, [&](std::uint8_t, T&& x) { seen.insert(std::move(x)); });
    batch_buffer<T> out(sink);
    for (const auto& x : seen) out.push(x);
    out.flush();
  }

 private:
  distinct_node() = default;
};

// Round robin from a place that differs per map task, so that n outputs fill evenly.
template <class T>
class repartition_node final : public unary_shuffle<T, T, repartition_node<T>> {
  using base = unary_shuffle<T, T, repartition_node>;
  friend base;
  friend shuffle_node<T, repartition_node>;
  using map_frame_t = typename shuffle_node<T, repartition_node>::map_frame;

 public:
  repartition_node(node_ptr<T> parent, std::size_t partitions) : base(std::move(parent), partitions) {}
  std::string kind() const override { return "repartition"; }
  std::size_t hash_partitioned() const override { return 0; }  // not by a key
  void save_config(std::string&) const {}
  void load_config(reader&) {}

  void write(task_context& tc, const node<T>& parent, std::size_t task, const map_frame_t& frame) const {
    block_writer out(tc, frame.shuffle, frame.target, frame.partitions);
    std::size_t next = scale_to(mix_hash(task), frame.partitions);
    parent.compute(tc, task, [&](std::span<T> batch) {
      for (auto& x : batch) {
        out.add(next, x);
        if (++next == frame.partitions) next = 0;
      }
    });
    out.finish();
  }

  void compute(task_context& tc, std::size_t r, batch_sink<T> sink) const override {
    batch_buffer<T> out(sink);
    this->template read<T>(tc, r, [&](std::uint8_t, T&& x) { out.push(std::move(x)); });
    out.flush();
  }

 private:
  repartition_node() = default;
};

// A hash join: both sides are shuffled by key into the same partitions; each output partition
// builds a table of its right side and streams its left side through it.
template <class K, class V, class W, bool Outer>
using join_output = std::pair<K, std::pair<V, std::conditional_t<Outer, std::optional<W>, W>>>;

// Streams a left pair through a table of the right side's values by key.
template <class K, class V, class W, bool Outer, class Table, class Out>
void probe(const Table& table, std::pair<K, V>&& left, batch_buffer<Out>& out) {
  auto match = table.find(left.first);
  if (match == table.end()) {
    if constexpr (Outer) out.push(Out(std::move(left.first), {std::move(left.second), std::nullopt}));
    return;
  }
  for (const auto& w : match->second) out.push(Out(left.first, {left.second, w}));
}

template <class K, class V, class W, bool Outer>
class join_node final : public shuffle_node<join_output<K, V, W, Outer>, join_node<K, V, W, Outer>> {
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
    return task < left_->partitions() ? left_->origin_of(task) : right_->origin_of(task - left_->partitions());
  }
  void save_config(std::string&) const {}
  void load_config(reader&) {}
  void save_map_input(std::string& out, std::size_t task) const {
    const bool left = task < left_->partitions();
    const std::size_t q = left ? task : task - left_->partitions();
    encode(out, left);
    encode(out, std::uint64_t(q));
    if (left) left_->save(out, q);
    else
      right_->save(out, q);
  }

  static void map(task_context& tc, reader& in, std::uint32_t task) {
    auto [frame, self] = base::load_map_frame(in);
    (void)task;  // the side's own partition index travels with the task
    const bool left = decode<bool>(in);
    const auto q = decode<std::uint64_t>(in);
    if (left) write_side<V>(tc, *load_node<std::pair<K, V>>(in), q, frame, 0);
    else
      write_side<W>(tc, *load_node<std::pair<K, W>>(in), q, frame, 1);
  }

  void compute(task_context& tc, std::size_t r, batch_sink<Out> sink) const override {
    // Blocks of both sides arrive mixed: decode the right side into the table first, then
    // stream the left side through it.
    std::unordered_map<K, std::vector<W>> table;
    std::vector<std::string> left_blocks;
    tc.read_blocks(this->shuffle_, static_cast<std::uint32_t>(r), this->attempt_, [&](std::string_view block) {
      reader in(block);
      if (*in.take(1) == 0) {
        left_blocks.emplace_back(block.substr(1));
        return;
      }
      while (!in.done()) {
        auto right_entry = decode<std::pair<K, W>>(in);
        table[std::move(right_entry.first)].push_back(std::move(right_entry.second));
      }
    });
    batch_buffer<Out> out(sink);
    for (auto& block : left_blocks) {
      reader in(block);
      while (!in.done()) probe<K, V, W, Outer>(table, decode<std::pair<K, V>>(in), out);
      block = std::string();
    }
    out.flush();
  }

 private:
  join_node() = default;

  template <class X>
  static void write_side(task_context& tc, const node<std::pair<K, X>>& side, std::size_t task,
                         const typename base::map_frame& frame, std::uint8_t tag) {
    block_writer out(tc, frame.shuffle, frame.target, frame.partitions, tag);
    side.compute(tc, task, [&](std::span<std::pair<K, X>> batch) {
      for (auto& entry : batch) out.add(hash_partition(entry.first, frame.partitions), entry);
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
      : node<Out>(left->owner_ptr(), left->partitions()), left_(std::move(left)), right_(std::move(right)) {}

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
    std::unordered_map<K, std::vector<W>> table;
    right_->compute(tc, p, [&](std::span<std::pair<K, W>> batch) {
      for (auto& entry : batch) table[std::move(entry.first)].push_back(std::move(entry.second));
    });
    batch_buffer<Out> out(sink);
    left_->compute(tc, p, [&](std::span<std::pair<K, V>> batch) {
      for (auto& entry : batch) probe<K, V, W, Outer>(table, std::move(entry), out);
    });
    out.flush();
  }

  void save(std::string& out, std::size_t p) const override {
    save_loader<local_join_node>(out);
    left_->save(out, p);
    right_->save(out, p);
  }
  static node_ptr<Out> load(reader& in) {
    auto left = load_node<std::pair<K, V>>(in);
    auto right = load_node<std::pair<K, W>>(in);
    return std::shared_ptr<local_join_node>(new local_join_node(1, std::move(left), std::move(right)));
  }

 private:
  local_join_node(std::size_t partitions, node_ptr<std::pair<K, V>> left, node_ptr<std::pair<K, W>> right)
      : node<Out>(partitions), left_(std::move(left)), right_(std::move(right)) {}
  node_ptr<std::pair<K, V>> left_;
  node_ptr<std::pair<K, W>> right_;
};

}  // namespace constellation::dataflow::detail
