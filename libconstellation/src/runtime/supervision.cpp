#include <constellation/supervision.hpp>

#include "runtime/process_state.hpp"

namespace constellation::this_process {

void trap_exits(bool on) {
  // Read by each spawn (runtime/spawn.cpp), which sends it with its request.
  runtime::require_process("constellation::this_process::trap_exits()")
      .trap_exits.store(on, std::memory_order_relaxed);
}

}  // namespace constellation::this_process

namespace constellation {

process_status status(const pid& p) {
  auto& state = runtime::require_process("constellation::status()");
  switch (state.control->peer_status(p)) {
    case wire::peer_status::alive:
      return process_status::running;
    case wire::peer_status::exited:
      return process_status::exited;
    case wire::peer_status::died:
      return process_status::died;
    case wire::peer_status::unknown:
      break;
  }
  return process_status::unknown;
}

}  // namespace constellation
