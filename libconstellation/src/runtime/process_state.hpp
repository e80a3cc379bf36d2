#pragma once
// What a user process knows about itself once init() has run.

#include <constellation/pid.hpp>
#include <constellation/resources.hpp>

#include "runtime/control_client.hpp"
#include "runtime/counter_reporter.hpp"
#include "runtime/progress_reporter.hpp"

#include <atomic>
#include <memory>
#include <string>

namespace constellation::runtime {

struct process_state {
  pid self;
  pid parent;  // null for the top process
  resources needs;
  bool deployed = false;
  std::string job_secret;
  int listener_fd = -1;  // where channel peers connect
  std::unique_ptr<control_client> control;
  std::unique_ptr<progress_reporter> progress;
  std::unique_ptr<counter_reporter> counters;
  std::atomic<bool> trap_exits{false};     // sent with each spawn request (supervision.hpp)
  std::atomic<bool> spawn_by_exec{false};  // likewise (spawn.hpp)
};

// nullptr before init(), and in the bridge and monitors.
process_state* current_process();
void install_process_state(std::unique_ptr<process_state> state);

// Throws std::logic_error naming call when init() has not run in this process.
process_state& require_process(const char* call);

}  // namespace constellation::runtime
