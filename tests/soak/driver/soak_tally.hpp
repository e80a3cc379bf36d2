#pragma once
// What a stretch of the soak run did, summed over its jobs, and the report printed at the end.

#include "daemon_footprint.hpp"
#include "soak_job.hpp"

#include <chrono>
#include <cstdint>
#include <iosfwd>
#include <set>
#include <string>
#include <vector>

namespace soak {

struct soak_tally {
  std::uint64_t jobs = 0, clean = 0, interrupted = 0, hung = 0, failed = 0;
  std::uint64_t rounds = 0, senders = 0, processes = 0, killed = 0;
  std::uint64_t sent = 0, received = 0, unverified = 0, lost_to_kills = 0;
  std::set<std::string> pids;  // every process of every job, for the cgroups they left

  void add(const job_report& r);
};

struct soak_settings {
  std::chrono::seconds duration{600};
  std::chrono::seconds warm_up{30};
  std::uint64_t seed = 0;
  std::size_t jobs_at_once = 2;
};

// SOAK_SECONDS, SOAK_WARMUP_SECONDS, SOAK_SEED (default: drawn, and printed), SOAK_JOBS.
soak_settings settings_from_environment();

void print_report(std::ostream& out, const soak_settings& settings, const soak_tally& warm_up,
                  const soak_tally& soak, const std::vector<daemon_figures>& before,
                  const std::vector<daemon_figures>& after,
                  const std::vector<std::string>& violations);

}  // namespace soak
