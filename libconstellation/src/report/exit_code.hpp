#pragma once
// The exit code of a whole job, for the command that ran it.

#include "report/process_event.hpp"

#include <optional>
#include <set>
#include <utility>
#include <vector>

namespace constellation::report {

// Watches a job's events and names the exit code the job's launcher should end with: 0 when every
// process that exited did so with status 0; otherwise the top process's failure (its code, or 128 +
// the signal), else the first failure of another process in the order observed. The top process
// is the child of the spawn event whose parent is null. A trapped child (spawn_event::trapped) does
// not count: its parent took charge of its failure.
//
// Only exits count: ask once every process has ended. A process lost without an exit event (a node
// that vanished) must be reported by the caller as an exit_event, with a reason.
class exit_code_rule {
 public:
  void observe(const process_event& e);
  int exit_code() const;

 private:
  std::optional<pid> top_;
  std::vector<std::pair<pid, int>> failures_;  // shell codes, in the order observed
  std::set<pid> trapped_;
};

}  // namespace constellation::report
