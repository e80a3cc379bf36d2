#pragma once
// spawn(): run a function of this program in a new process.

#include <constellation/detail/spawn_entry.hpp>
#include <constellation/errors.hpp>
#include <constellation/pid.hpp>
#include <constellation/resources.hpp>

#include <expected>
#include <utility>

namespace constellation {

// Starts a process that runs f(this_process::pid(), params...) and exits when f returns.
// f is a function pointer or a captureless lambda whose first parameter is the parent's pid and
// which returns void; args are converted to f's remaining parameter types, serialized with
// cereal, and arrive by value in the new process.
// try_spawn() never waits for capacity: it returns no_capacity when the cluster is full now,
// never_fits when no node could ever hold r, not_initialized before init(), launch_failed when
// the process could not be started (its message says why).
namespace detail {
template <class F, class... Args>
std::expected<pid, spawn_error> spawn_typed(capacity_wait wait, const resources& r, F f,
                                            Args&&... args) {
  using spawnable = detail::spawnable<F>;
  static_assert(spawnable::valid,
                "spawn: f must be a function pointer or a captureless lambda callable as "
                "f(constellation::pid parent, Params...) and returning void");
  if constexpr (spawnable::valid) {
    static_assert(
        sizeof...(Args) == spawnable::arity,
        "spawn: the number of arguments does not match f's parameters after the parent pid");
    return spawn_erased(r, spawnable::entry(), spawnable::erase(f),
                        spawnable::serialize(std::forward<Args>(args)...), wait);
  } else {
    return std::unexpected(spawn_error(spawn_errc::launch_failed, "unreachable"));
  }
}
}  // namespace detail

template <class F, class... Args>
std::expected<pid, spawn_error> try_spawn(resources r, F f, Args&&... args) {
  return detail::spawn_typed(detail::capacity_wait::no, r, f, std::forward<Args>(args)...);
}

// As try_spawn(), but waits while the cluster is full and throws spawn_error on failure.
template <class F, class... Args>
pid spawn(resources r, F f, Args&&... args) {
  auto spawned = detail::spawn_typed(detail::capacity_wait::yes, r, f, std::forward<Args>(args)...);
  if (!spawned) throw spawned.error();
  return *spawned;
}

namespace this_process {

// How the processes this process spawns from now on (until spawn_by_exec(false)) start. By
// default a node forks each one from a fork server: a copy of the program started once per job
// and node, stopped in init() before any thread exists. The child is a fresh process running f
// as before, but it shares with its siblings what the server computed before it forked: the
// address-space layout (ASLR), the state static initialisers left, and the descriptors they opened
// (see the README's design notes). With spawn_by_exec(), each starts from a fresh exec of the
// binary instead, as it does for the whole job under CONSTELLATION_SPAWN=exec. Read by each spawn,
// like trap_exits(). Does not block. Throws std::logic_error before init().
void spawn_by_exec(bool on = true);

}  // namespace this_process

}  // namespace constellation
