#pragma once
// The live line of a running action: stage k of n, tasks done, records and bytes, elapsed time.
// Sent to the bridge with report_progress() at most ten times a second; the bridge draws it on a
// terminal, or writes progress events in JSON mode.

#include <chrono>
#include <cstdint>
#include <string>

namespace constellation::dataflow::detail {

class action_progress {
 public:
  action_progress(bool enabled, const char* action);
  ~action_progress();  // erases the line
  action_progress(const action_progress&) = delete;
  action_progress& operator=(const action_progress&) = delete;

  void stage(std::size_t number, std::size_t stages, const std::string& kind, std::size_t tasks);
  void task_done(std::uint64_t records_in, std::uint64_t shuffle_bytes, std::uint64_t spill_bytes,
                 std::uint64_t result_bytes);

 private:
  void report(bool now);

  bool enabled_;
  std::string action_;
  std::string kind_;
  std::size_t stage_ = 0, stages_ = 0, tasks_ = 0, done_ = 0;
  std::uint64_t records_in_ = 0, shuffle_bytes_ = 0, spill_bytes_ = 0, result_bytes_ = 0;
  std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();
  std::chrono::steady_clock::time_point last_report_{};
  bool shown_ = false;
};

}  // namespace constellation::dataflow::detail
