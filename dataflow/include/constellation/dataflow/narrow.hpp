#pragma once
// Narrow operations, fused. A chain of map/filter/flat_map/key_by/sample steps is one type, known
// at compile time; in a worker it runs as one loop per batch in which every step is inlined into
// the next (as Thrill's fused DIA functions do): no intermediate collection, no indirect call per
// element.

#include <constellation/dataflow/node.hpp>
#include <constellation/dataflow/sources.hpp>

#include <array>
#include <cstdint>
#include <memory>
#include <random>
#include <tuple>
#include <type_traits>
#include <utility>

namespace constellation::dataflow {

// What flat_map's function receives to emit its outputs: emit(value) any number of times. A
// captureless lambda taking `auto& emit` gets an inlined emitter instead of this type-erased one.
template <class U>
class emitter {
 public:
  explicit emitter(detail::function_ref<void(U&&)> sink) : sink_(sink) {}
  void operator()(U value) { sink_(std::move(value)); }

 private:
  detail::function_ref<void(U&&)> sink_;
};

namespace detail {

template <class U, class Next>
class inline_emitter {
 public:
  explicit inline_emitter(Next& next) : next_(next) {}
  void operator()(U value) { next_(std::move(value)); }

 private:
  Next& next_;
};

template <class F, class State>
struct user_step {
  user_function<F> f;
  state_holder<State> state;
  void save(std::string& out) const {
    f.save(out);
    state.save(out);
  }
  void load(reader& in) {
    f.load(in);
    state.load(in);
  }
};

template <class F, class State>
struct map_op : user_step<F, State> {
  static constexpr bool reads_only = true;
  template <class In>
  using output = typename user_result<F, State, const In&>::type;
  template <class In, class Next>
  auto bind(Next next, std::size_t) const {
    return [this, next](const In& x) mutable { next(call_user(this->f, this->state, x)); };
  }
};

template <class F, class State>
struct filter_op : user_step<F, State> {
  static constexpr bool keeps_keys = true;
  template <class In>
  using output = In;
  template <class In, class Next>
  auto bind(Next next, std::size_t) const {
    static_assert(std::is_convertible_v<typename user_result<F, State, const In&>::type, bool>,
                  "dataflow: filter's function must return bool (or something convertible to it)");
    return [this, next](In&& x) mutable {
      if (call_user(this->f, this->state, std::as_const(x))) next(std::move(x));
    };
  }
};

template <class F, class State>
struct key_by_op : user_step<F, State> {
  template <class In>
  using output = std::pair<typename user_result<F, State, const In&>::type, In>;
  template <class In, class Next>
  auto bind(Next next, std::size_t) const {
    return [this, next](In&& x) mutable {
      auto key = call_user(this->f, this->state, std::as_const(x));
      next(output<In>(std::move(key), std::move(x)));
    };
  }
};

template <class F, class State>
struct map_values_op : user_step<F, State> {
  static constexpr bool keeps_keys = true;
  template <class In>
  using output = std::pair<typename In::first_type,
                           typename user_result<F, State, const typename In::second_type&>::type>;
  template <class In, class Next>
  auto bind(Next next, std::size_t) const {
    return [this, next](In&& x) mutable {
      auto value = call_user(this->f, this->state, std::as_const(x.second));
      next(output<In>(std::move(x.first), std::move(value)));
    };
  }
};

template <class U, class F, class State>
struct flat_map_op : user_step<F, State> {
  static constexpr bool reads_only = true;
  template <class In>
  using output = U;
  template <class In, class Next>
  auto bind(Next next, std::size_t) const {
    return [this, next](const In& x) mutable {
      if constexpr (user_callable<F, State, const In&, inline_emitter<U, Next>&>) {
        inline_emitter<U, Next> emit(next);
        call_user(this->f, this->state, x, emit);
      } else {
        static_assert(
            user_callable<F, State, const In&, emitter<U>&>,
            "dataflow: flat_map's function must be callable as f(const T&, emit) (plus the "
            "state, when given), where emit(U) hands on each output; a function pointer "
            "takes constellation::dataflow::emitter<U>& as emit");
        auto sink = [&next](U&& value) { next(std::move(value)); };
        emitter<U> emit{function_ref<void(U &&)>(sink)};
        call_user(this->f, this->state, x, emit);
      }
    };
  }
};

// Bernoulli sampling, deterministic for a seed and a partitioning: each partition draws from its
// own generator seeded by (seed, partition).
struct sample_op {
  static constexpr bool keeps_keys = true;
  double fraction = 0;
  std::uint64_t seed = 0;
  template <class In>
  using output = In;
  template <class In, class Next>
  auto bind(Next next, std::size_t partition) const {
    std::seed_seq seq{std::uint32_t(seed), std::uint32_t(seed >> 32), std::uint32_t(partition),
                      std::uint32_t(std::uint64_t(partition) >> 32)};
    std::mt19937_64 generator(seq);
    // Compared in integers, so that fraction 1 keeps every element and 0 none.
    const double scaled = fraction * 18446744073709551616.0;
    const std::uint64_t threshold =
        scaled >= 18446744073709551615.0 ? ~0ull : std::uint64_t(scaled);
    const bool all = fraction >= 1.0;
    return [next, generator, threshold, all](In&& x) mutable {
      if (all || generator() < threshold) next(std::move(x));
    };
  }
  void save(std::string& out) const {
    encode(out, fraction);
    encode(out, seed);
  }
  void load(reader& in) {
    decode(in, fraction);
    decode(in, seed);
  }
};

// Whether an operation leaves every pair's key where it was (so a hash partitioning survives it).
template <class Op>
constexpr bool keeps_keys() {
  if constexpr (requires { Op::keeps_keys; })
    return Op::keeps_keys;
  else
    return false;
}

// Whether an operation only reads its input (so it may be given a view of a kept element).
template <class Op>
constexpr bool reads_only() {
  if constexpr (requires { Op::reads_only; })
    return Op::reads_only;
  else
    return false;
}

// One step of a chain: an operation and the element type it reads.

template <class In, class Op>
struct step {
  using input = In;
  using operation = Op;
  using output = typename Op::template output<In>;
  Op op;
};

template <class In, class... Steps>
struct chain_output_of {
  using type = In;
};
template <class In, class First, class... Rest>
struct chain_output_of<In, First, Rest...> {
  using type = typename chain_output_of<typename First::output, Rest...>::type;
};
template <class In, class... Steps>
using chain_output = typename chain_output_of<In, Steps...>::type;

template <std::size_t I, class Steps, class Sink>
auto compose(const Steps& steps, Sink sink, std::size_t partition) {
  if constexpr (I == std::tuple_size_v<Steps>) {
    return sink;
  } else {
    using this_step = std::tuple_element_t<I, Steps>;
    return std::get<I>(steps).op.template bind<typename this_step::input>(
        compose<I + 1>(steps, std::move(sink), partition), partition);
  }
}

// A chain of narrow steps over a parent node, type-erased at its end.
template <class In, class... Steps>
class fused_node final : public node<chain_output<In, Steps...>> {
 public:
  using Out = chain_output<In, Steps...>;

  fused_node(node_ptr<In> parent, std::tuple<Steps...> steps)
      : node<Out>(parent->owner_ptr(), parent->partitions()),
        parent_(std::move(parent)),
        steps_(std::move(steps)) {}

  std::vector<const node_base*> parents() const override { return {parent_.get()}; }
  std::string kind() const override { return "map"; }
  std::size_t hash_partitioned() const override {
    if constexpr ((keeps_keys<typename Steps::operation>() && ...))
      return parent_->hash_partitioned();
    else
      return 0;
  }

  void compute(task_context& tc, std::size_t p, batch_sink<Out> out) const override {
    if constexpr (std::is_arithmetic_v<Out>) {
      // Numbers are collected in an array whose fill count is of another type than the numbers:
      // a store of a number then cannot alias the count, which stays in a register through the
      // fused loop (a vector's end pointer would be reloaded after every element stored).
      std::array<Out, batch_size> batch;
      std::uint32_t n = 0;
      auto run = compose<0>(
          steps_,
          [&](Out x) {
            batch[n++] = x;
            if (n == batch_size) out(std::span<Out>(batch.data(), std::exchange(n, 0)));
          },
          p);
      feed(tc, p, run);
      if (n > 0) out(std::span<Out>(batch.data(), n));
    } else {
      batch_buffer<Out> buffer(out);
      auto run = compose<0>(
          steps_, [&buffer](auto&& x) { buffer.push(std::forward<decltype(x)>(x)); }, p);
      feed(tc, p, run);
      buffer.flush();
    }
  }

  void save(std::string& out, std::size_t p) const override {
    save_loader<fused_node>(out);
    encode(out, std::uint64_t(this->partitions()));
    std::apply([&](const auto&... s) { (s.op.save(out), ...); }, steps_);
    parent_->save(out, p);
  }

  static node_ptr<Out> load(reader& in) {
    const auto partitions = decode<std::uint64_t>(in);
    std::tuple<Steps...> steps;
    std::apply([&](auto&... s) { (s.op.load(in), ...); }, steps);
    auto parent = load_node<In>(in);
    return std::shared_ptr<fused_node>(
        new fused_node(partitions, std::move(parent), std::move(steps)));
  }

 private:
  fused_node(std::size_t partitions, node_ptr<In> parent, std::tuple<Steps...> steps)
      : node<Out>(partitions), parent_(std::move(parent)), steps_(std::move(steps)) {}

  // Runs every element of the parent's partition p through the fused chain run.
  template <class Run>
  void feed(task_context& tc, std::size_t p, Run& run) const {
    // A chain over a range loops over the numbers themselves; a first step that only reads its
    // input reads a cached parent's elements where they are kept.
    using first = typename std::tuple_element_t<0, std::tuple<Steps...>>::operation;
    const auto* numbers = std::is_same_v<In, std::uint64_t>
                              ? dynamic_cast<const range_node*>(parent_.get())
                              : nullptr;
    if (numbers) {
      if constexpr (std::is_same_v<In, std::uint64_t>)
        numbers->for_each_number(tc, [&run](std::uint64_t x) { run(std::move(x)); });
    } else if constexpr (reads_only<first>()) {
      parent_->compute_view(tc, p, [&run](std::span<const In> batch) {
        for (const auto& x : batch) run(x);
      });
    } else {
      parent_->compute(tc, p, [&run](std::span<In> batch) {
        for (auto& x : batch) run(std::move(x));
      });
    }
  }

  node_ptr<In> parent_;
  std::tuple<Steps...> steps_;
};

}  // namespace detail
}  // namespace constellation::dataflow
