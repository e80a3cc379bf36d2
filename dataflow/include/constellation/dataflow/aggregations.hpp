#pragma once
// The keyed aggregations: reduce_by_key, group_by_key and distinct. Each routes an element by its
// key's hash; reduce_by_key and distinct combine on the map side first. The reduce side gathers
// a partition's records in a bounded_aggregation (within its share of the memory budget, beyond
// it in parts on disk), looking each key up by a view of its bytes in the block before it makes a
// key of its own.

#include <constellation/dataflow/bounded_aggregation.hpp>
#include <constellation/dataflow/keyed_table.hpp>
#include <constellation/dataflow/shuffle.hpp>

#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace constellation::dataflow::detail {

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
  void write(task_context& tc, const node<std::pair<K, V>>& parent, std::size_t task,
             const map_frame_t& frame) const {
    block_writer out(tc, frame.shuffle, frame.target, frame.partitions);
    keyed_table<K, V> combined;
    const std::size_t limit =
        std::max<std::size_t>(1024, tc.memory_budget() / 4 / (2 * (sizeof(K) + sizeof(V)) + 48));
    // The keys the last map task of this operation combined (in this worker) are a guess at this
    // one's: the same pass over the next partition, or the next iteration of a loop.
    static thread_local std::size_t keys_seen = 0;
    combined.reserve(std::min(keys_seen, limit));
    const auto merge = [this](V&& a, V&& b) {
      return call_user(f_, state_, std::move(a), std::move(b));
    };
    auto drain = [&] {
      combined.drain([&](std::pair<K, V>&& entry) {
        out.add(hash_partition(entry.first, frame.partitions), entry);
      });
    };
    parent.compute(tc, task, [&](std::span<std::pair<K, V>> batch) {
      combined.add_all(batch, merge);
      if (combined.size() > limit) drain();
    });
    keys_seen = combined.size();
    drain();
    out.finish();
  }

  void compute(task_context& tc, std::size_t r, batch_sink<std::pair<K, V>> sink) const override {
    const merging policy{*this};
    bounded_aggregation<K, V, merging> merged(tc, policy, reduce_side_limit(tc));
    static thread_local std::size_t keys_seen = 0;  // as on the map side
    merged.reserve(keys_seen);
    this->read_encoded(tc, r, std::nullopt, [&](reader& in) {
      auto key = decode_view<K>(in);
      merged.add(std::move(key), [&] { return decode<V>(in); });
    });
    keys_seen = merged.keys();
    batch_buffer<std::pair<K, V>> out(sink);
    merged.finish([&](std::pair<K, V>&& entry) { out.push(std::move(entry)); });
    out.flush();
  }

 private:
  // Values of a key merged by the user's function.
  struct merging {
    const reduce_by_key_node& self;
    V start(V&& v) const { return std::move(v); }
    std::size_t fold(V& merged, V&& v) const {
      merged = call_user(self.f_, self.state_, std::move(merged), std::move(v));
      return 0;
    }
    void merge(V& merged, V&& other) const { fold(merged, std::move(other)); }
  };

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
  using map_frame_t =
      typename shuffle_node<std::pair<K, std::vector<V>>, group_by_key_node>::map_frame;

 public:
  group_by_key_node(node_ptr<std::pair<K, V>> parent, std::size_t partitions)
      : base(std::move(parent), partitions) {}
  std::string kind() const override { return "group_by_key"; }
  void save_config(std::string&) const {}
  void load_config(reader&) {}

  void write(task_context& tc, const node<std::pair<K, V>>& parent, std::size_t task,
             const map_frame_t& frame) const {
    block_writer out(tc, frame.shuffle, frame.target, frame.partitions);
    parent.compute_view(tc, task, [&](std::span<const std::pair<K, V>> batch) {
      for (const auto& entry : batch) out.add(hash_partition(entry.first, frame.partitions), entry);
    });
    out.finish();
  }

  void compute(task_context& tc, std::size_t r,
               batch_sink<std::pair<K, std::vector<V>>> sink) const override {
    const grouping policy;
    bounded_aggregation<K, std::vector<V>, grouping> groups(tc, policy, reduce_side_limit(tc));
    this->read_encoded(tc, r, std::nullopt, [&](reader& in) {
      auto key = decode_view<K>(in);
      groups.add(std::move(key), [&] { return decode<V>(in); });
    });
    batch_buffer<std::pair<K, std::vector<V>>> out(sink);
    groups.finish([&](std::pair<K, std::vector<V>>&& group) { out.push(std::move(group)); });
    out.flush();
  }

 private:
  // A key's values side by side; the bytes a value adds are its own and the vector's growth.
  struct grouping {
    std::vector<V> start(V&& v) const {
      std::vector<V> group;
      group.push_back(std::move(v));
      return group;
    }
    std::size_t fold(std::vector<V>& group, V&& v) const {
      const auto before = group.capacity();
      const auto held = heap_bytes(v);
      group.push_back(std::move(v));
      return held + (group.capacity() - before) * sizeof(V);
    }
    void merge(std::vector<V>& group, std::vector<V>&& other) const {
      group.insert(group.end(), std::make_move_iterator(other.begin()),
                   std::make_move_iterator(other.end()));
    }
  };

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

  void write(task_context& tc, const node<T>& parent, std::size_t task,
             const map_frame_t& frame) const {
    block_writer out(tc, frame.shuffle, frame.target, frame.partitions);
    keyed_table<T, no_value> seen;
    const std::size_t limit =
        std::max<std::size_t>(1024, tc.memory_budget() / 4 / (2 * sizeof(T) + 24));
    auto drain = [&] {
      seen.drain([&](std::pair<T, no_value>&& e) {
        out.add(hash_partition(e.first, frame.partitions), e.first);
      });
    };
    parent.compute(tc, task, [&](std::span<T> batch) {
      for (auto& x : batch) seen.find_or_insert(std::move(x), [] { return no_value{}; });
      if (seen.size() > limit) drain();
    });
    drain();
    out.finish();
  }

  void compute(task_context& tc, std::size_t r, batch_sink<T> sink) const override {
    const only_keys policy;
    bounded_aggregation<T, no_value, only_keys> seen(tc, policy, reduce_side_limit(tc));
    this->read_encoded(tc, r, std::nullopt, [&](reader& in) {
      auto x = decode_view<T>(in);
      seen.add(std::move(x), [] { return no_value{}; });
    });
    batch_buffer<T> out(sink);
    seen.finish([&](std::pair<T, no_value>&& e) { out.push(std::move(e.first)); });
    out.flush();
  }

 private:
  struct only_keys {
    no_value start(no_value) const { return {}; }
    std::size_t fold(no_value&, no_value) const { return 0; }
    void merge(no_value&, no_value) const {}
  };

  distinct_node() = default;
};

}  // namespace constellation::dataflow::detail
