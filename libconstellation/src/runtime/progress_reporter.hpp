#pragma once
// The sending side of report_progress(): keeps a process's status line reports from flooding its
// node agent. At most one report leaves per interval; those in between are coalesced into the
// latest, which leaves when the interval is over. A clear drops the pending report and leaves at
// once when a line is shown, so that it is never lost, nor late (one behind a clear would be a
// no-op). Memory stays at one pending report, however fast the process reports.

#include "runtime/agent_report_hooks.hpp"
#include "wire/messages.hpp"

#include <chrono>
#include <functional>
#include <mutex>
#include <optional>
#include <string>

namespace constellation::runtime {

class progress_reporter {
 public:
  using clock = std::chrono::steady_clock;
  // About ten reports a second: faster than a person reads, slow enough to cost nothing.
  static constexpr auto interval = std::chrono::milliseconds(100);

  using hooks = agent_report_hooks;

  explicit progress_reporter(hooks h) : hooks_(std::move(h)) {}

  // Sends r now when the last report left an interval ago or more (or r is a clear of a shown
  // line); else keeps it as the pending one and makes sure it leaves when the interval is over.
  // Never waits for the interval; holds the lock while the agent takes the frame.
  void report(wire::progress_report r);
  // Sends the pending report now: when its interval is over, and at exit, so that the last word
  // is not lost with the transport thread that would have sent it.
  void deliver_pending();

 private:
  void send_pending(clock::time_point now);  // with mutex_ held

  hooks hooks_;
  std::mutex mutex_;
  // Encoded when reported, on the reporting thread: at exit the encoder's per-thread streams are
  // gone before the exit handler that delivers the pending report runs.
  std::optional<std::string> pending_;
  bool pending_clear_ = false;
  std::optional<clock::time_point> last_sent_;
  bool flush_scheduled_ = false;
  bool shown_ = false;  // the last report sent was not a clear
};

}  // namespace constellation::runtime
