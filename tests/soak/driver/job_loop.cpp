#include "job_loop.hpp"

#include "fixture/process_scan.hpp"

#include <signal.h>

#include <cstdio>
#include <iostream>
#include <thread>

namespace soak {

using clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

soak_tally job_loop::run_for(std::chrono::seconds span, std::vector<std::string>& violations,
                             bool trend) {
  soak_tally tally;
  const auto start = clock::now(), end = start + span;
  auto next_trend = start + 60s;
  auto next_cleanup_scan = start;
  while (clock::now() < end || !running_.empty() || !cleanups_.empty()) {
    while (clock::now() < end && running_.size() < jobs_at_once_)
      running_.push_back(std::make_unique<soak_job>(cluster_, next_number_++, rng_));
    for (std::size_t i = 0; i < running_.size();) {
      if (!running_[i]->poll(running_.size() > 1 ? 10ms : 50ms)) {
        ++i;
        continue;
      }
      const auto report = running_[i]->finish();
      tally.add(report);
      for (const auto& p : report.problems) violations.push_back(p);
      cleanups_.push_back(
          {running_[i]->marker(),
           "job " + std::to_string(report.number) + " (seed " + std::to_string(report.seed) + ")",
           clock::now() + cleanup_limit});
      running_.erase(running_.begin() + static_cast<std::ptrdiff_t>(i));
    }
    if (running_.empty()) std::this_thread::sleep_for(50ms);
    // Reading every process's environment is not free: twice a second is soon enough.
    if (clock::now() >= next_cleanup_scan) {
      check_cleanups(violations);
      next_cleanup_scan = clock::now() + 500ms;
    }
    if (trend && clock::now() >= next_trend) {
      next_trend += 60s;
      std::cout << "  after "
                << std::chrono::duration_cast<std::chrono::seconds>(clock::now() - start).count()
                << " s: " << tally.jobs << " jobs, " << tally.processes << " processes, "
                << violations.size() << " violations;";
      for (const auto& d : sample_daemons(cluster_))
        std::cout << " " << d.name << " " << d.descriptors << " fds " << (d.resident >> 10)
                  << " KiB;";
      std::cout << std::endl;
    }
  }
  return tally;
}

void job_loop::check_cleanups(std::vector<std::string>& violations) {
  for (std::size_t i = 0; i < cleanups_.size();) {
    const auto left = cluster_test::processes_with_env(cleanups_[i].marker);
    if (left.empty()) {
      cleanups_.erase(cleanups_.begin() + static_cast<std::ptrdiff_t>(i));
      continue;
    }
    if (clock::now() < cleanups_[i].deadline) {
      ++i;
      continue;
    }
    std::string list;
    for (pid_t p : left) list += "; " + cluster_test::describe_process(p);
    violations.push_back(cleanups_[i].job + ": " + std::to_string(left.size()) +
                         " processes still ran " + std::to_string(cleanup_limit.count()) +
                         " s after its client ended" + list);
    // Killed, so that one leftover does not spoil the figures of the rest of the run.
    for (pid_t p : left) ::kill(p, SIGKILL);
    cleanups_.erase(cleanups_.begin() + static_cast<std::ptrdiff_t>(i));
  }
}

}  // namespace soak
