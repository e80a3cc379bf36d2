#include "report/exit_code.hpp"

namespace constellation::report {

void exit_code_rule::observe(const process_event& e) {
  if (const auto* spawn = std::get_if<spawn_event>(&e)) {
    if (!spawn->parent) top_ = spawn->child;
    if (spawn->trapped) trapped_.insert(spawn->child);
  } else if (const auto* exit = std::get_if<exit_event>(&e); exit && !exit->status.success()) {
    failures_.emplace_back(exit->process, exit->status.shell_code());
  }
}

int exit_code_rule::exit_code() const {
  // The top's exit may be observed before its spawn event, so the top and the trapped children
  // are looked up only now.
  const std::pair<pid, int>* first = nullptr;
  for (const auto& failure : failures_) {
    if (failure.first == top_) return failure.second;
    if (!first && !trapped_.contains(failure.first)) first = &failure;
  }
  return first ? first->second : 0;
}

}  // namespace constellation::report
