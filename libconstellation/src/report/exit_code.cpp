#include "report/exit_code.hpp"

namespace constellation::report {

void exit_code_rule::observe(const process_event& e) {
  if (const auto* spawn = std::get_if<spawn_event>(&e); spawn && !spawn->parent) {
    top_ = spawn->child;
  } else if (const auto* exit = std::get_if<exit_event>(&e); exit && !exit->status.success()) {
    failures_.emplace_back(exit->process, exit->status.shell_code());
  }
}

int exit_code_rule::exit_code() const {
  // The top's exit may be observed before its spawn event, so the top is looked up only now.
  for (const auto& [process, code] : failures_) {
    if (process == top_) return code;
  }
  return failures_.empty() ? 0 : failures_.front().second;
}

}  // namespace constellation::report
