#pragma once
// Keeps a few soak jobs running on the cluster for a while, one after another, and checks that
// each job's processes are gone soon after its deploy client ended.

#include "soak_job.hpp"
#include "soak_tally.hpp"

#include "fixture/local_cluster.hpp"

#include <chrono>
#include <memory>
#include <random>
#include <string>
#include <vector>

namespace soak {

class job_loop {
 public:
  // A job's processes may take a moment to go after its client ended: monitors report, the bridge
  // ends what a vanished client left. Beyond this they are left over.
  static constexpr std::chrono::seconds cleanup_limit{20};

  job_loop(const cluster_test::local_cluster& cluster, std::mt19937_64& rng,
           std::size_t jobs_at_once)
      : cluster_(cluster), rng_(rng), jobs_at_once_(jobs_at_once) {}

  // Starts jobs for `span`, then waits for the last to end and be cleaned up. Each job's problems
  // go to violations. With `trend`, prints the daemons' figures every minute meanwhile.
  soak_tally run_for(std::chrono::seconds span, std::vector<std::string>& violations, bool trend);

 private:
  struct cleanup_check {
    std::string marker, job;
    std::chrono::steady_clock::time_point deadline;
  };
  void check_cleanups(std::vector<std::string>& violations);

  const cluster_test::local_cluster& cluster_;
  std::mt19937_64& rng_;
  std::size_t jobs_at_once_;
  std::uint64_t next_number_ = 1;
  std::vector<std::unique_ptr<soak_job>> running_;
  std::vector<cleanup_check> cleanups_;
};

}  // namespace soak
