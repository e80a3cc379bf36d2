#pragma once
// Writes each event as one JSON line (see json_events.hpp) to an fd.

#include "report/event_writer.hpp"

namespace constellation::report {

class json_writer final : public event_writer {
 public:
  // Lines go to out_fd only; nothing is ever written to stderr, so it stays free for diagnostics.
  explicit json_writer(int out_fd) : out_fd_(out_fd) {}

  // One write loop per line, so that a line is never interleaved with another writer's at the
  // granularity of our calls. Write errors are swallowed (write_all says why).
  void write(const process_event& e) override;

 private:
  int out_fd_;
};

}  // namespace constellation::report
