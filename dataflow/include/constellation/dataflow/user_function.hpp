#pragma once
// How a worker finds the code of a task without any code being shipped: every function a task
// runs is compiled into the one binary, and is named by its code_ref (offset and build-id), as
// spawn() names the function it starts. A worker calls only functions registered here at start-up
// (the loaders and task entries that the templates instantiated), never an arbitrary address.
//
// User functions given to map, filter, ... are function pointers (sent as code_refs) or captureless
// lambdas (empty types, rebuilt by default construction in the worker: nothing is sent).

#include <constellation/code_ref.hpp>
#include <constellation/dataflow/codec.hpp>

#include <type_traits>
#include <utility>

namespace constellation::dataflow::detail {

using any_function = void (*)();
bool register_entry(any_function f) noexcept;
bool is_registered_entry(any_function f) noexcept;

template <auto F>
struct entry_registration {
  static inline const bool done = register_entry(reinterpret_cast<any_function>(F));
};

// The name of an entry point (a loader or a task runner), registered in every process of the
// program by the same static initialisation.
template <auto F>
const code_ref& entry_ref() {
  (void)entry_registration<F>::done;
  static const code_ref ref = code_ref::of(F);
  return ref;
}

[[noreturn]] void refuse_entry(const code_ref& ref);

// The entry ref names, if it is a registered entry of this build; throws otherwise.
template <class Fp>
Fp resolve_entry(const code_ref& ref) {
  Fp f = ref.resolve<Fp>();
  if (!is_registered_entry(reinterpret_cast<any_function>(f))) refuse_entry(ref);
  return f;
}

template <class F>
inline constexpr bool is_function_pointer =
    std::is_pointer_v<F>&& std::is_function_v<std::remove_pointer_t<F>>;

template <class F>
inline constexpr bool is_captureless_lambda = std::is_class_v<F>&& std::is_empty_v<F>&&
    std::is_default_constructible_v<F>&& std::is_trivially_copyable_v<F>;

template <class F>
inline constexpr bool is_user_function = is_function_pointer<F> || is_captureless_lambda<F>;

// A user function as a task carries it.
template <class F>
struct user_function {
  static_assert(is_user_function<F>,
                "dataflow: f must be a function pointer or a captureless lambda; pass what a "
                "lambda would capture as the operation's trailing state argument instead");
  F f{};

  template <class... Args>
  decltype(auto) operator()(Args&&... args) const {
    return f(std::forward<Args>(args)...);
  }
  void save(std::string& out) const {
    if constexpr (is_function_pointer<F>) encode(out, code_ref::of(f));
  }
  void load(reader& in) {
    if constexpr (is_function_pointer<F>) f = decode<code_ref>(in).template resolve<F>();
  }
};

// The trailing state of an operation: shipped once per task, passed to f by const reference.
struct no_state {};

template <class State>
struct state_holder {
  State value{};
  void save(std::string& out) const { encode(out, value); }
  void load(reader& in) { decode(in, value); }
};
template <>
struct state_holder<no_state> {
  void save(std::string&) const {}
  void load(reader&) {}
};

// f(args...), or f(args..., state) when the operation has one.
template <class F, class State, class... Args>
decltype(auto) call_user(const user_function<F>& f, const state_holder<State>& state,
                         Args&&... args) {
  if constexpr (std::is_same_v<State, no_state>)
    return f(std::forward<Args>(args)...);
  else
    return f(std::forward<Args>(args)..., state.value);
}

template <class F, class State, class... Args>
inline constexpr bool user_callable =
    std::is_same_v<State, no_state> ? std::is_invocable_v<const F&, Args...>
                                    : std::is_invocable_v<const F&, Args..., const State&>;

template <class F, class State, class... Args>
struct user_result;
template <class F, class... Args>
struct user_result<F, no_state, Args...> {
  using type = std::decay_t<std::invoke_result_t<const F&, Args...>>;
};
template <class F, class State, class... Args>
struct user_result {
  using type = std::decay_t<std::invoke_result_t<const F&, Args..., const State&>>;
};

}  // namespace constellation::dataflow::detail
