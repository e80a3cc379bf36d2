#include "runtime/process_state.hpp"

#include <constellation/init.hpp>

#include <atomic>
#include <stdexcept>

namespace constellation::runtime {

namespace {
// Set once, before user code can start threads; read from any thread after.
std::atomic<process_state*> installed{nullptr};
}  // namespace

process_state* current_process() {
  return installed.load(std::memory_order_acquire);
}

void install_process_state(std::unique_ptr<process_state> state) {
  installed.store(state.release(), std::memory_order_release);
}

process_state& require_process(const char* call) {
  if (auto* state = current_process()) return *state;
  throw std::logic_error(
      std::string(call) +
      " called before constellation::init(): call init() as the first statement of main()");
}

}  // namespace constellation::runtime

namespace constellation::this_process {

constellation::pid pid() {
  return runtime::require_process("constellation::this_process::pid()").self;
}
constellation::resources resources() {
  return runtime::require_process("constellation::this_process::resources()").needs;
}
bool deployed() {
  return runtime::require_process("constellation::this_process::deployed()").deployed;
}

}  // namespace constellation::this_process
