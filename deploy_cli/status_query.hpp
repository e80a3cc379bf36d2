#pragma once
// constellation-deploy status BRIDGE_ADDR: asks the master, through the bridge, how the cluster's
// nodes are used, and shows it (status_format.hpp).

#include "cluster/endpoint.hpp"
#include "cluster/secret.hpp"
#include "report/event_writer.hpp"

#include <chrono>

namespace constellation::deploy {

// The whole query, connecting included, takes at most this.
inline constexpr auto status_time_limit = std::chrono::seconds(30);

// Shows the status and returns 0, or shows the problem (run_problem.hpp) and returns 1. Blocks.
int run_status(const cluster::endpoint& bridge, const cluster::cluster_secret& secret,
               report::output_format format);

}  // namespace constellation::deploy
