#pragma once
// dataset<T>: a lazy, immutable, partitioned collection; a cheap handle on a lineage node.
// Narrow operations return a chain (an unspecified type with the same members) that fuses them at
// compile time and converts to dataset<T> where the user wants a named type.

#include <constellation/dataflow/actions.hpp>
#include <constellation/dataflow/aggregations.hpp>
#include <constellation/dataflow/join.hpp>
#include <constellation/dataflow/narrow.hpp>
#include <constellation/dataflow/options.hpp>
#include <constellation/dataflow/shuffle.hpp>
#include <constellation/dataflow/sort.hpp>
#include <constellation/dataflow/sources.hpp>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace constellation::dataflow {

template <class T>
class dataset;

namespace detail {

template <class T>
struct pair_traits {
  static constexpr bool is_pair = false;
};
template <class K, class V>
struct pair_traits<std::pair<K, V>> {
  static constexpr bool is_pair = true;
  using key = K;
  using value = V;
};

template <class T>
concept keyed = pair_traits<T>::is_pair && requires(const typename pair_traits<T>::key& k) {
  { std::hash<typename pair_traits<T>::key>{}(k) } -> std::convertible_to<std::size_t>;
  { k == k } -> std::convertible_to<bool>;
};

template <class T>
concept hashable = requires(const T& x) {
  { std::hash<T>{}(x) } -> std::convertible_to<std::size_t>;
  { x == x } -> std::convertible_to<bool>;
};

template <class T>
concept ordered = requires(const T& a, const T& b) {
  { a < b } -> std::convertible_to<bool>;
};

// A node pointer that counts as a user's handle on the node: what the user can still act on
// decides which stored shuffle outputs and caches the workers keep.
template <class T>
class handle {
 public:
  handle() = default;
  explicit handle(node_ptr<T> n) : node_(std::move(n)) { attach(); }
  handle(const handle& o) : node_(o.node_) { attach(); }
  handle(handle&& o) noexcept : node_(std::move(o.node_)) {}
  handle& operator=(handle o) noexcept {
    detach();
    node_ = std::move(o.node_);
    return *this;
  }
  ~handle() { detach(); }
  const node_ptr<T>& get() const { return node_; }

 private:
  void attach() const {
    if (node_) node_->add_handle();
  }
  void detach() const {
    if (node_) node_->drop_handle();
  }
  node_ptr<T> node_;
};

template <class Self, class T>
class dataset_api;

template <class In, class... Steps>
class chain;

template <class T>
std::size_t wide_partitions(const node<T>& n) {
  return default_partitions(n.owner());
}

}  // namespace detail

// The members shared by dataset<T> and chains. f is a function pointer or a captureless lambda;
// every operation taking f has an overload with a trailing state, shipped once per task and passed
// to f as its last argument.
namespace detail {

template <class Self, class T>
class dataset_api {
 public:
  using value_type = T;

  // f(const T&) -> U
  template <class F>
  auto map(F f) const {
    return self().then(map_op<F, no_state>{{{f}, {}}});
  }
  template <class F, class State>
  auto map(F f, State state) const {
    return self().then(map_op<F, State>{{{f}, {std::move(state)}}});
  }
  // f(const T&) -> bool
  template <class F>
  auto filter(F f) const {
    return self().then(filter_op<F, no_state>{{{f}, {}}});
  }
  template <class F, class State>
  auto filter(F f, State state) const {
    return self().then(filter_op<F, State>{{{f}, {std::move(state)}}});
  }
  // f(const T&, emit); emit(U) any number of times
  template <class U, class F>
  auto flat_map(F f) const {
    return self().then(flat_map_op<U, F, no_state>{{{f}, {}}});
  }
  template <class U, class F, class State>
  auto flat_map(F f, State state) const {
    return self().then(flat_map_op<U, F, State>{{{f}, {std::move(state)}}});
  }
  // -> pairs (f(x), x)
  template <class F>
  auto key_by(F f) const {
    return self().then(key_by_op<F, no_state>{{{f}, {}}});
  }
  template <class F, class State>
  auto key_by(F f, State state) const {
    return self().then(key_by_op<F, State>{{{f}, {std::move(state)}}});
  }
  // Bernoulli sampling: each element kept with probability fraction; the same seed and
  // partitioning keep the same elements.
  auto sample(double fraction, std::uint64_t seed) const {
    return self().then(sample_op{fraction, seed});
  }

  dataset<T> union_with(const dataset<T>& other) const;
  // Computed once (at the first action that needs it), kept in the workers, reused by later
  // actions.
  dataset<T> cache() const;
  dataset<T> sort() const requires ordered<T>;
  template <class F>
  dataset<T> sort_by(F key) const;
  dataset<T> distinct() const requires hashable<T>;
  dataset<T> repartition(std::size_t n) const;

  // On datasets of pairs whose key has std::hash and ==.
  template <class F>
  auto map_values(F f) const requires keyed<T> {
    return self().then(map_values_op<F, no_state>{{{f}, {}}});
  }
  template <class F, class State>
  auto map_values(F f, State state) const requires keyed<T> {
    return self().then(map_values_op<F, State>{{{f}, {std::move(state)}}});
  }
  // f(V, V) -> V, associative and commutative; combined on the map side before the shuffle.
  template <class F>
  dataset<T> reduce_by_key(F f) const requires keyed<T> {
    return reduce_by_key(f, no_state{});
  }
  template <class F, class State>
  dataset<T> reduce_by_key(F f, State state) const requires keyed<T>;
  auto group_by_key() const requires keyed<T>;
  // other: any dataset of pairs with the same key type, including a chain.
  template <class Other>
  auto join(const Other& other) const requires keyed<T>;
  template <class Other>
  auto left_outer_join(const Other& other) const requires keyed<T>;
  dataset<T> sort_by_key() const requires keyed<T>;

  // Actions: run the job; throw job_error on failure.
  std::vector<T> collect() const;  // partition order (sorted order after a sort)
  std::uint64_t count() const;
  template <class F>
  std::optional<T> reduce(F f) const;        // nullopt for an empty dataset
  std::vector<T> take(std::size_t n) const;  // the first n in partition order
  // part-NNNNN per partition (empty ones too) in directory, created with its parents; error if it
  // exists and is not empty. One element per line with operator<<, a pair as "first\tsecond".
  void save_text(const std::string& directory) const;

 private:
  const Self& self() const { return static_cast<const Self&>(*this); }
  node_ptr<T> erased() const { return self().as_node(); }
  template <class Sink>
  void run(const char* action, std::span<const std::size_t> partitions,
           function_ref<void(std::string&)> write_sink_config,
           function_ref<void(std::size_t, task_result&&)> each) const;
  template <class Other, bool Outer>
  auto join_with(const Other& other) const;
};

template <class In, class... Steps>
class chain : public dataset_api<chain<In, Steps...>, chain_output<In, Steps...>> {
 public:
  using Out = chain_output<In, Steps...>;

  chain(handle<In> parent, std::tuple<Steps...> steps)
      : parent_(std::move(parent)), steps_(std::move(steps)) {}

  template <class Op>
  auto then(Op op) const {
    using next = step<Out, Op>;
    return chain<In, Steps..., next>(parent_,
                                     std::tuple_cat(steps_, std::tuple<next>(next{std::move(op)})));
  }
  node_ptr<Out> as_node() const {
    return std::make_shared<fused_node<In, Steps...>>(parent_.get(), steps_);
  }
  operator dataset<Out>() const { return dataset<Out>(as_node()); }  // NOLINT: implicit by design

 private:
  handle<In> parent_;
  std::tuple<Steps...> steps_;
};

}  // namespace detail

template <class T>
class dataset : public detail::dataset_api<dataset<T>, T> {
 public:
  dataset() = default;  // no data; actions on it throw job_error
  explicit dataset(detail::node_ptr<T> n) : node_(std::move(n)) {}

  template <class Op>
  auto then(Op op) const {
    using first = detail::step<T, Op>;
    return detail::chain<T, first>(node_, std::tuple<first>(first{std::move(op)}));
  }
  detail::node_ptr<T> as_node() const {
    if (!node_.get())
      throw job_error(
          "dataflow: an action on a default-constructed dataset: assign it from a context's "
          "parallelize, range or text_file first");
    return node_.get();
  }

 private:
  detail::handle<T> node_;
};

namespace detail {

template <class Self, class T>
dataset<T> dataset_api<Self, T>::union_with(const dataset<T>& other) const {
  return dataset<T>(std::make_shared<union_node<T>>(erased(), other.as_node()));
}

template <class Self, class T>
dataset<T> dataset_api<Self, T>::cache() const {
  return dataset<T>(std::make_shared<cache_node<T>>(erased()));
}

template <class Self, class T>
dataset<T> dataset_api<Self, T>::sort() const requires ordered<T> {
  auto n = erased();
  const auto parts = wide_partitions(*n);
  return dataset<T>(std::make_shared<sort_node<T, whole_key>>(std::move(n), parts));
}

template <class Self, class T>
template <class F>
dataset<T> dataset_api<Self, T>::sort_by(F key) const {
  static_assert(is_user_function<F>,
                "dataflow: sort_by's key must be a function pointer or a captureless lambda");
  static_assert(ordered<std::decay_t<std::invoke_result_t<const F&, const T&>>>,
                "dataflow: sort_by's key must return a type with operator<");
  auto n = erased();
  const auto parts = wide_partitions(*n);
  user_key<F> key_of;
  key_of.f.f = key;
  return dataset<T>(std::make_shared<sort_node<T, user_key<F>>>(std::move(n), parts, key_of));
}

template <class Self, class T>
dataset<T> dataset_api<Self, T>::distinct() const requires hashable<T> {
  auto n = erased();
  const auto parts = wide_partitions(*n);
  return dataset<T>(std::make_shared<distinct_node<T>>(std::move(n), parts));
}

template <class Self, class T>
dataset<T> dataset_api<Self, T>::repartition(std::size_t n) const {
  if (n == 0) throw job_error("dataflow: repartition(0): a dataset needs at least one partition");
  return dataset<T>(std::make_shared<repartition_node<T>>(erased(), n));
}

template <class Self, class T>
template <class F, class State>
dataset<T> dataset_api<Self, T>::reduce_by_key(F f, State state) const requires keyed<T> {
  using K = typename T::first_type;
  using V = typename T::second_type;
  static_assert(user_callable<F, State, V, V>,
                "dataflow: reduce_by_key's function must be callable as f(V, V) -> V");
  auto n = erased();
  const auto parts = wide_partitions(*n);
  return dataset<T>(std::make_shared<reduce_by_key_node<K, V, F, State>>(std::move(n), parts, f,
                                                                         std::move(state)));
}

template <class Self, class T>
auto dataset_api<Self, T>::group_by_key() const requires keyed<T> {
  using K = typename T::first_type;
  using V = typename T::second_type;
  auto n = erased();
  const auto parts = wide_partitions(*n);
  return dataset<std::pair<K, std::vector<V>>>(
      std::make_shared<group_by_key_node<K, V>>(std::move(n), parts));
}

template <class Self, class T>
template <class Other, bool Outer>
auto dataset_api<Self, T>::join_with(const Other& other) const {
  using K = typename T::first_type;
  using V = typename T::second_type;
  using OT = typename Other::value_type;
  static_assert(pair_traits<OT>::is_pair && std::is_same_v<typename pair_traits<OT>::key, K>,
                "dataflow: join's argument must be a dataset of pairs with the same key type");
  using W = typename OT::second_type;
  auto left = erased();
  auto right = other.as_node();
  if (left->hash_partitioned() != 0 && left->hash_partitioned() == right->hash_partitioned())
    return dataset<join_output<K, V, W, Outer>>(
        std::make_shared<local_join_node<K, V, W, Outer>>(std::move(left), std::move(right)));
  const auto parts = wide_partitions(*left);
  return dataset<join_output<K, V, W, Outer>>(
      std::make_shared<join_node<K, V, W, Outer>>(std::move(left), std::move(right), parts));
}

template <class Self, class T>
template <class Other>
auto dataset_api<Self, T>::join(const Other& other) const requires keyed<T> {
  return join_with<Other, false>(other);
}

template <class Self, class T>
template <class Other>
auto dataset_api<Self, T>::left_outer_join(const Other& other) const requires keyed<T> {
  return join_with<Other, true>(other);
}

template <class Self, class T>
dataset<T> dataset_api<Self, T>::sort_by_key() const requires keyed<T> {
  static_assert(ordered<typename T::first_type>,
                "dataflow: sort_by_key needs operator< on the key type");
  auto n = erased();
  const auto parts = wide_partitions(*n);
  return dataset<T>(std::make_shared<sort_node<T, first_key>>(std::move(n), parts));
}

// One task per partition: the sink's entry, its configuration, then the lineage it computes.
template <class Self, class T>
template <class Sink>
void dataset_api<Self, T>::run(const char* action, std::span<const std::size_t> partitions,
                               function_ref<void(std::string&)> write_sink_config,
                               function_ref<void(std::size_t, task_result&&)> each) const {
  auto root = erased();
  run_action(
      root->owner(), action, *root, partitions,
      [&](std::size_t p) {
        std::string task;
        encode(task, entry_ref<&Sink::run>());
        write_sink_config(task);
        root->save(task, p);
        return task;
      },
      each);
}

template <class Self, class T>
std::vector<T> dataset_api<Self, T>::collect() const {
  const auto parts = all_partitions(erased()->partitions());
  // Each partition's elements are decoded into place as soon as the partitions before it are in,
  // and its parts are freed once read. Numbers are copied into room reserved for as many
  // partitions as those in so far suggest (room never filled costs no memory: its pages are
  // never touched).
  std::vector<T> items;
  std::size_t bytes_in = 0;
  run<collect_task<T>>(
      "collect", parts, [](std::string& out) { encode(out, ~std::uint64_t(0)); },
      [&](std::size_t i, task_result&& result) {
        if constexpr (raw_encoding<T>) {
          for (const auto& part : result) bytes_in += part.size();
          const std::size_t expected = bytes_in / (i + 1) * parts.size() / sizeof(T);
          if (items.capacity() < bytes_in / sizeof(T))
            items.reserve(std::max(bytes_in / sizeof(T), expected + expected / 4));
        }
        for (auto& part : result) {
          reader in(part);
          decode_all(in, items);
          part = std::string();
        }
      });
  return items;
}

template <class Self, class T>
std::uint64_t dataset_api<Self, T>::count() const {
  const auto parts = all_partitions(erased()->partitions());
  std::uint64_t n = 0;
  run<count_task<T>>(
      "count", parts, [](std::string&) {},
      [&](std::size_t, task_result&& result) {
        for (const auto& part : result) {
          reader in(part);
          n += decode<std::uint64_t>(in);
        }
      });
  return n;
}

template <class Self, class T>
template <class F>
std::optional<T> dataset_api<Self, T>::reduce(F f) const {
  static_assert(is_user_function<F>,
                "dataflow: reduce's function must be a function pointer or a captureless lambda");
  static_assert(std::is_convertible_v<std::invoke_result_t<const F&, T, T>, T>,
                "dataflow: reduce's function must be callable as f(T, T) -> T");
  user_function<F> fn{f};
  const auto parts = all_partitions(erased()->partitions());
  std::optional<T> acc;
  run<reduce_task<T, F>>(
      "reduce", parts, [&](std::string& out) { fn.save(out); },
      [&](std::size_t, task_result&& result) {
        for (const auto& bytes : result) {
          reader in(bytes);
          auto part = decode<std::optional<T>>(in);
          if (!part) continue;
          if (acc)
            *acc = f(std::move(*acc), std::move(*part));
          else
            acc = std::move(part);
        }
      });
  return acc;
}

// As Spark does: the first partition, then four times as many partitions per round as before,
// until n elements are in hand.
template <class Self, class T>
std::vector<T> dataset_api<Self, T>::take(std::size_t n) const {
  std::vector<T> items;
  if (n == 0) return items;
  const std::size_t total = erased()->partitions();
  std::size_t next = 0, round = 1;
  while (items.size() < n && next < total) {
    std::vector<std::size_t> parts;
    for (std::size_t i = 0; i < round && next < total; ++i) parts.push_back(next++);
    const std::uint64_t limit = n - items.size();
    run<collect_task<T>>(
        "take", parts, [&](std::string& out) { encode(out, limit); },
        [&](std::size_t, task_result&& result) {
          for (const auto& bytes : result) {
            reader in(bytes);
            while (!in.done() && items.size() < n) items.push_back(decode<T>(in));
          }
        });
    round *= 4;
  }
  return items;
}

template <class Self, class T>
void dataset_api<Self, T>::save_text(const std::string& directory) const {
  const auto absolute = std::filesystem::absolute(directory).string();
  prepare_output_directory(absolute);
  const auto parts = all_partitions(erased()->partitions());
  run<save_text_task<T>>(
      "save_text", parts, [&](std::string& out) { encode(out, absolute); },
      [](std::size_t, task_result&&) {});
  std::ofstream(std::filesystem::path(absolute) / "_SUCCESS");
}

}  // namespace detail
}  // namespace constellation::dataflow
