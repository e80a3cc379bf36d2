#pragma once
// How spawn() turns a typed call into bytes and a function identity, and back in the child.

#include <constellation/detail/serialization.hpp>
#include <constellation/errors.hpp>
#include <constellation/pid.hpp>
#include <constellation/resources.hpp>

#include <expected>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>

namespace constellation::detail {

// Any function pointer, stripped of its type; the entry restores the type before calling.
using erased_function = void (*)();
// The typed trampoline that spawn<F> instantiates: it deserializes the arguments and calls f.
using entry_function = void (*)(pid parent, erased_function f, std::string_view arguments);

// Entries register themselves at start-up, so that a child calls only code that really is an
// entry, never an address that merely happens to match.
bool register_entry(entry_function entry) noexcept;

enum class capacity_wait : bool { no, yes };

std::expected<pid, spawn_error> spawn_erased(const resources& r, entry_function entry,
                                             erased_function f, std::string arguments,
                                             capacity_wait wait);

template <class... Params>
struct entry_point {
  using stored = std::tuple<std::decay_t<Params>...>;

  template <class Parent>
  static void run(pid parent, erased_function f, std::string_view bytes) {
    auto arguments = deserialize_value<stored>(bytes);
    auto typed = reinterpret_cast<void (*)(Parent, Params...)>(f);
    std::apply([&](auto&... a) { typed(parent, std::move(a)...); }, arguments);
  }
};

template <class Parent, class... Params>
struct registered_entry {
  static inline const bool registered =
      register_entry(&entry_point<Params...>::template run<Parent>);
};

template <class Fp>
struct spawnable_pointer {
  static constexpr bool valid = false;
};

template <class Parent, class... Params>
requires std::is_same_v<std::remove_cvref_t<Parent>, pid> &&
    (!std::is_rvalue_reference_v<Parent>)struct spawnable_pointer<void (*)(Parent, Params...)> {
  static constexpr bool valid = true;
  static constexpr std::size_t arity = sizeof...(Params);
  using stored = typename entry_point<Params...>::stored;

  static entry_function entry() {
    (void)registered_entry<Parent, Params...>::registered;
    return &entry_point<Params...>::template run<Parent>;
  }

  template <class... Args>
  static std::string serialize(Args&&... args) {
    static_assert((is_serializable<std::decay_t<Params>> && ...),
                  "spawn: an argument type cannot be serialized with cereal; give it a serialize() "
                  "member (or save/load) or include the cereal/types/ header for it");
    static_assert(std::is_constructible_v<stored, Args&&...>,
                  "spawn: an argument cannot be converted to the parameter type of f");
    return serialize_value(stored{std::forward<Args>(args)...});
  }
};

template <class F, class = void>
struct function_pointer_of {
  using type = void;
};
template <class F>
struct function_pointer_of<F, std::void_t<decltype(+std::declval<F>())>> {
  using type = decltype(+std::declval<F>());
};

template <class F>
struct spawnable : spawnable_pointer<typename function_pointer_of<std::decay_t<F>>::type> {
  static erased_function erase(F f) { return reinterpret_cast<erased_function>(+f); }
};

}  // namespace constellation::detail
