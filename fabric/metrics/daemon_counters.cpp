#include "metrics/daemon_counters.hpp"

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

namespace constellation::fabric::metrics {

namespace {
// From a fork-served launch on an idle node (a few ms) to a fresh exec on a busy one (seconds).
const prometheus::Histogram::BucketBoundaries launch_buckets{
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5};
}  // namespace

struct daemon_counters::families {
  prometheus::Registry registry;
  prometheus::Family<prometheus::Counter>& spawns =
      prometheus::BuildCounter()
          .Name("constellation_spawns_total")
          .Help("Processes the master was asked to place: every spawn and every job's top process")
          .Register(registry);
  prometheus::Counter& spawns_requested = spawns.Add({});
  prometheus::Counter& spawn_waits =
      prometheus::BuildCounter()
          .Name("constellation_spawn_waits_total")
          .Help("Spawns that waited for room on a node before they were placed")
          .Register(registry)
          .Add({});
  prometheus::Family<prometheus::Counter>& spawn_refusals =
      prometheus::BuildCounter()
          .Name("constellation_spawn_refusals_total")
          .Help("Spawns refused, by reason")
          .Register(registry);
  prometheus::Family<prometheus::Histogram>& launches =
      prometheus::BuildHistogram()
          .Name("constellation_launch_duration_seconds")
          .Help("From the master's launch order to its node's answer, by outcome")
          .Register(registry);
  prometheus::Family<prometheus::Counter>& output =
      prometheus::BuildCounter()
          .Name("constellation_output_bytes_total")
          .Help("Bytes of the jobs' standard output and error passed on to their clients")
          .Register(registry);
  prometheus::Counter& authentication_failures =
      prometheus::BuildCounter()
          .Name("constellation_authentication_failures_total")
          .Help("Connections to this daemon's port that failed the cluster's authentication")
          .Register(registry)
          .Add({});
  prometheus::Family<prometheus::Counter>& node_launches =
      prometheus::BuildCounter()
          .Name("constellation_node_launches_total")
          .Help("Processes this node was ordered to start, by outcome")
          .Register(registry);
};

daemon_counters::daemon_counters() : families_(std::make_unique<families>()) {
  // Every series a dashboard expects exists from the start, at 0, rather than appearing with its
  // first event: rate() and alerts on a missing series mislead.
  for (const char* reason : {"no_capacity", "never_fits", "launch_failed"})
    families_->spawn_refusals.Add({{"reason", reason}});
  for (const char* outcome : {"started", "failed"}) {
    families_->launches.Add({{"outcome", outcome}}, launch_buckets);
    families_->node_launches.Add({{"outcome", outcome}});
  }
  for (const char* stream : {"stdout", "stderr"}) families_->output.Add({{"stream", stream}});
}
daemon_counters::~daemon_counters() = default;

void daemon_counters::spawn_requested() {
  families_->spawns_requested.Increment();
}
void daemon_counters::spawn_waited() {
  families_->spawn_waits.Increment();
}
void daemon_counters::spawn_refused(const std::string& reason) {
  families_->spawn_refusals.Add({{"reason", reason}}).Increment();
}
void daemon_counters::launch_answered(double seconds, bool started) {
  families_->launches.Add({{"outcome", started ? "started" : "failed"}}, launch_buckets)
      .Observe(seconds);
}
void daemon_counters::output_forwarded(int fd, std::uint64_t bytes) {
  families_->output.Add({{"stream", fd == 2 ? "stderr" : "stdout"}})
      .Increment(static_cast<double>(bytes));
}
void daemon_counters::authentication_failed() {
  families_->authentication_failures.Increment();
}
void daemon_counters::process_launched(bool started) {
  families_->node_launches.Add({{"outcome", started ? "started" : "failed"}}).Increment();
}

std::vector<prometheus::MetricFamily> daemon_counters::collect() const {
  return families_->registry.Collect();
}

}  // namespace constellation::fabric::metrics
