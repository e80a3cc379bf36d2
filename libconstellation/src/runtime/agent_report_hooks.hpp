#pragma once
// How a process's coalescing reporters (progress_reporter, counter_reporter) reach its node agent
// and its transport thread: hooks, so that tests can drive them without either.

#include <chrono>
#include <functional>
#include <string>

namespace constellation::runtime {

struct agent_report_hooks {
  using clock = std::chrono::steady_clock;
  // Writes one framed report to the node agent; called with the reporter's lock held, so that
  // reports leave in order.
  std::function<void(const std::string& frame)> send;
  // Runs a function after a delay, on another thread (the channel transport's).
  std::function<void(clock::duration, std::function<void()>)> run_after;
  std::function<clock::time_point()> now = [] { return clock::now(); };
};

}  // namespace constellation::runtime
