#include <constellation/spawn.hpp>

#include "identity/code_identity.hpp"
#include "runtime/process_state.hpp"

namespace constellation::detail {

std::expected<pid, spawn_error> spawn_erased(const resources& r, entry_function entry,
                                             erased_function f, std::string arguments,
                                             capacity_wait wait) {
  auto* state = runtime::current_process();
  if (!state)
    return std::unexpected(
        spawn_error(spawn_errc::not_initialized,
                    "constellation::spawn() called before constellation::init(): call init() as "
                    "the first statement of main()"));

  wire::spawn_request request;
  request.parent = state->self;
  request.needs = r;
  request.arguments = std::move(arguments);
  request.wait_for_capacity = wait == capacity_wait::yes;
  request.trap_exits = state->trap_exits.load(std::memory_order_relaxed);
  request.fresh_exec = state->spawn_by_exec.load(std::memory_order_relaxed);
  auto entry_id = identity::identify_code(reinterpret_cast<const void*>(entry));
  auto function_id = identity::identify_code(reinterpret_cast<const void*>(f));
  if (!entry_id || !function_id)
    return std::unexpected(spawn_error(
        spawn_errc::launch_failed,
        "constellation::spawn(): " + (entry_id ? function_id.error() : entry_id.error())));
  request.entry = std::move(*entry_id);
  request.function = std::move(*function_id);

  auto reply = state->control->spawn(std::move(request));
  if (!reply)
    return std::unexpected(
        spawn_error(spawn_errc::launch_failed, "constellation::spawn(): " + reply.error()));
  if (!reply->child)
    return std::unexpected(spawn_error(static_cast<spawn_errc>(reply->error), reply->message));
  return reply->child;
}

}  // namespace constellation::detail

namespace constellation::this_process {

void spawn_by_exec(bool on) {
  // Read by each spawn, which sends it with its request.
  runtime::require_process("constellation::this_process::spawn_by_exec()")
      .spawn_by_exec.store(on, std::memory_order_relaxed);
}

}  // namespace constellation::this_process
