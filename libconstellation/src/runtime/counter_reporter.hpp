#pragma once
// The sending side of add_to_counter(): sums a process's additions per name and sends them to its
// node agent at most once per interval, and at exit. Memory stays at one sum per name, however
// often the process counts.

#include "runtime/agent_report_hooks.hpp"

#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <string_view>

namespace constellation::runtime {

class counter_reporter {
 public:
  using clock = std::chrono::steady_clock;
  // Counters are scraped every 10 to 60 s: a second late costs nothing, and a busy loop that
  // counts costs one frame a second.
  static constexpr auto interval = std::chrono::seconds(1);

  using hooks = agent_report_hooks;

  explicit counter_reporter(hooks h) : hooks_(std::move(h)) {}

  // Adds amount to name's pending sum, and makes sure the sums leave within the interval.
  void add(std::string_view name, double amount);
  // Sends what is pending now: when the interval is over, and at exit.
  void deliver_pending();

 private:
  hooks hooks_;
  std::mutex mutex_;
  std::map<std::string, double, std::less<>> pending_;
  bool flush_scheduled_ = false;
};

}  // namespace constellation::runtime
