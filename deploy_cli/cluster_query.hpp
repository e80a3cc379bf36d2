#pragma once
// constellation-deploy's questions to the master, through the bridge: `status` (how the nodes are
// used), `jobs` (what runs and what ran lately), `kill JOB` (end a job as Ctrl-C on its client
// would). Each connects, sends one query, shows the answer (status_format.hpp, jobs_format.hpp)
// and returns.

#include "cluster/endpoint.hpp"
#include "cluster/secret.hpp"
#include "report/event_writer.hpp"

#include <chrono>
#include <string>

namespace constellation::deploy {

// The whole query, connecting included, takes at most this.
inline constexpr auto query_time_limit = std::chrono::seconds(30);

// Each shows the answer and returns 0, or shows the problem (run_problem.hpp) and returns 1. Block.
int run_status(const cluster::endpoint& bridge, const cluster::cluster_secret& secret,
               report::output_format format);
int run_jobs(const cluster::endpoint& bridge, const cluster::cluster_secret& secret,
             report::output_format format);
int run_kill(const cluster::endpoint& bridge, const cluster::cluster_secret& secret,
             report::output_format format, const std::string& job);

}  // namespace constellation::deploy
