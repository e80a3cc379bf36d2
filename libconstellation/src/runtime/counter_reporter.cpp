#include "runtime/counter_reporter.hpp"

#include <constellation/counters.hpp>

#include "runtime/process_state.hpp"
#include "wire/counter_name.hpp"
#include "wire/messages.hpp"

#include <cmath>
#include <stdexcept>

namespace constellation::runtime {

void counter_reporter::add(std::string_view name, double amount) {
  std::lock_guard lock(mutex_);
  auto it = pending_.find(name);
  if (it == pending_.end()) it = pending_.emplace(std::string(name), 0.0).first;
  it->second += amount;
  if (flush_scheduled_) return;
  flush_scheduled_ = true;
  hooks_.run_after(interval, [this] { deliver_pending(); });
}

void counter_reporter::deliver_pending() {
  std::lock_guard lock(mutex_);
  flush_scheduled_ = false;
  if (pending_.empty()) return;
  wire::counter_report report;
  report.increments.assign(pending_.begin(), pending_.end());
  pending_.clear();
  // Also called from an exit handler: the thread's encoding streams may be gone by then.
  hooks_.send(wire::encode_message_at_exit(report));
}

}  // namespace constellation::runtime

namespace constellation {

void add_to_counter(std::string_view name, double amount) {
  auto& state = runtime::require_process("constellation::add_to_counter()");
  if (!wire::is_counter_name(name))
    throw std::invalid_argument(
        "constellation::add_to_counter(\"" + std::string(name) +
        "\"): a counter's name is lower-case letters, digits and '_', starting with a letter, "
        "at most 64 characters, not ending in _total");
  if (!(amount >= 0) || std::isinf(amount))
    throw std::invalid_argument("constellation::add_to_counter(\"" + std::string(name) +
                                "\"): counters only grow: give a finite amount of 0 or more");
  state.counters->add(name, amount);
}

}  // namespace constellation
