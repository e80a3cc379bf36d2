#pragma once
// One job of the soak run: soak_program deployed with a seed of its own, sometimes with TCP
// channels only or every spawn by exec, sometimes interrupted by the driver a moment after it
// starts (Ctrl-C on its deploy client, or the client killed); then what it printed and what the
// bridge reported of its processes, checked.

#include "fixture/local_cluster.hpp"

#include <chrono>
#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <vector>

namespace soak {

struct job_report {
  std::uint64_t number = 0, seed = 0;
  std::string interruption;  // what the driver did while it ran: "", "SIGINT", "SIGKILL"
  bool hung = false;         // still ran at the job's time limit, and was killed
  // From the top process's summary line; zero when it printed none.
  bool summary = false;
  std::uint64_t rounds = 0, senders = 0, sent = 0, received = 0, unverified = 0, lost_to_kills = 0;
  // From the bridge's events: the processes started, and those killed by SIGKILL.
  std::size_t processes = 0, killed = 0;
  std::vector<std::string> pids;
  std::vector<std::string> problems;  // each says which job (number and seed)
};

class soak_job {
 public:
  // How long a job may run: a round is seconds of work; beyond this it hangs.
  static constexpr std::chrono::seconds time_limit{180};

  // Deploys job `number`; its seed, variant and interruption are drawn from rng.
  soak_job(const cluster_test::local_cluster& cluster, std::uint64_t number, std::mt19937_64& rng);

  // Reads what the job printed, waiting at most `wait`, and interrupts it when that was planned
  // and its moment came; kills it when it passed time_limit. True once its deploy client ended.
  bool poll(std::chrono::milliseconds wait);
  // Once poll() returned true: what the job did, checked.
  job_report finish();

  // NAME=VALUE in the environment of every process of this job, for finding any left behind.
  const std::string& marker() const { return marker_; }
  std::uint64_t seed() const { return report_.seed; }

 private:
  void read_summary(const std::string& top_output);
  void read_events();
  void problem(const std::string& what);

  using clock = std::chrono::steady_clock;
  job_report report_;
  std::string variant_;  // the environment it ran with beyond the cluster's: for messages
  std::string marker_;
  clock::time_point started_;
  std::optional<int> interrupt_signal_;
  clock::time_point interrupt_at_;
  std::optional<cluster_test::child_process> deploy_;
};

}  // namespace soak
