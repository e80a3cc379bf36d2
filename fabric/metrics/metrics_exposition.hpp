#pragma once
// A fabric daemon's /metrics page in Prometheus' text exposition format (version 0.0.4): what it
// counted (daemon_counters), its node's state, its caches, and on the master the cluster's state.
// A pure function of its inputs: no sockets, no clock.

#include "master/cluster_snapshot.hpp"
#include "metrics/daemon_counters.hpp"
#include "node/node_figures.hpp"

#include <string>
#include <vector>

namespace constellation::fabric::metrics {

inline constexpr const char* exposition_content_type = "text/plain; version=0.0.4; charset=utf-8";

// cluster: the master's snapshot, or null on a node that is not the master.
std::string metrics_exposition(const daemon_counters& counters, const node_figures& node,
                               const std::vector<cache_figures>& caches,
                               const cluster_snapshot* cluster);

}  // namespace constellation::fabric::metrics
