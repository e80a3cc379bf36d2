#pragma once
// The figures a fabric daemon counts as things happen (spawns, launches, output, refused peers),
// for its /metrics. The figures that are a state (nodes up, processes running, cache size) are
// read when scraped instead (metrics_exposition.hpp). Prometheus' client library stays behind
// this interface: the master and node code that count need not compile its headers.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace prometheus {
struct MetricFamily;
}

namespace constellation::fabric::metrics {

class daemon_counters {
 public:
  daemon_counters();
  ~daemon_counters();
  daemon_counters(const daemon_counters&) = delete;
  daemon_counters& operator=(const daemon_counters&) = delete;

  // The master: a spawn (or a job's top process) asked for room; it had to wait for room; it was
  // refused (reason: no_capacity, never_fits, launch_failed).
  void spawn_requested();
  void spawn_waited();
  void spawn_refused(const std::string& reason);
  // The master: a launch order answered by its node after seconds, started or not.
  void launch_answered(double seconds, bool started);
  // The master: output bytes of a job's processes passed on to its bridge (fd 1 or 2).
  void output_forwarded(int fd, std::uint64_t bytes);
  // Any daemon: a peer that failed authentication on its port.
  void authentication_failed();
  // The node: a process it was ordered to start, started or not.
  void process_launched(bool started);

  // Everything counted so far, for the exposition.
  std::vector<prometheus::MetricFamily> collect() const;

  struct families;

 private:
  std::unique_ptr<families> families_;
};

}  // namespace constellation::fabric::metrics
