#include "soak_job.hpp"

#include "fixture/job_events.hpp"

#include <signal.h>

#include <sstream>

namespace soak {

using namespace std::chrono_literals;

namespace {

// At most the first `limit` characters, on one line, for a report.
std::string excerpt(std::string text, std::size_t limit = 400) {
  if (text.size() > limit) text = text.substr(0, limit) + "...";
  for (auto& c : text)
    if (c == '\n') c = '|';
  return text;
}

}  // namespace

soak_job::soak_job(const cluster_test::local_cluster& cluster, std::uint64_t number,
                   std::mt19937_64& rng) {
  report_.number = number;
  report_.seed = rng();
  marker_ = "CONSTELLATION_SOAK_JOB=" + std::to_string(number);
  cluster_test::deploy_options options;
  options.binary = SOAK_PROGRAM;
  options.extra_env.push_back(marker_);
  std::uniform_real_distribution<double> chance(0, 1);
  if (chance(rng) < 0.15) variant_ += " CONSTELLATION_CHANNELS=tcp";
  if (chance(rng) < 0.10) variant_ += " CONSTELLATION_SPAWN=exec";
  std::istringstream words(variant_);
  for (std::string w; words >> w;) options.extra_env.push_back(w);
  // A few jobs end from outside while they run: Ctrl-C (the bridge ends the job gently), or the
  // deploy client killed (the bridge ends the job when its client vanishes).
  const double roll = chance(rng);
  if (roll < 0.06)
    interrupt_signal_ = SIGINT;
  else if (roll < 0.09)
    interrupt_signal_ = SIGKILL;
  interrupt_at_ = clock::now() + std::chrono::milliseconds(100 + rng() % 2900);
  started_ = clock::now();
  deploy_.emplace(cluster.deploy({std::to_string(report_.seed)}, options));
  deploy_->close_stdin();
}

bool soak_job::poll(std::chrono::milliseconds wait) {
  if (deploy_->wait_exit(wait)) return true;
  const auto now = clock::now();
  if (interrupt_signal_ && report_.interruption.empty() && now >= interrupt_at_) {
    deploy_->signal(*interrupt_signal_);
    report_.interruption = *interrupt_signal_ == SIGINT ? "SIGINT" : "SIGKILL";
  }
  if (now - started_ > time_limit) {
    report_.hung = true;
    deploy_->kill_and_reap();
    return true;
  }
  return false;
}

void soak_job::problem(const std::string& what) {
  report_.problems.push_back("job " + std::to_string(report_.number) + " (seed " +
                             std::to_string(report_.seed) + variant_ + "): " + what);
}

void soak_job::read_summary(const std::string& top_output) {
  std::istringstream lines(top_output);
  for (std::string line; std::getline(lines, line);) {
    if (line.starts_with("problem: ")) problem(line.substr(9));
    if (!line.starts_with("summary ")) continue;
    std::istringstream words(line.substr(8));
    std::string key;
    std::uint64_t value = 0;
    while (words >> key >> value) {
      if (key == "rounds") report_.rounds = value;
      if (key == "senders") report_.senders = value;
      if (key == "sent") report_.sent = value;
      if (key == "received") report_.received = value;
      if (key == "unverified") report_.unverified = value;
      if (key == "lost_to_kills") report_.lost_to_kills = value;
    }
    report_.summary = true;
  }
}

void soak_job::read_events() {
  const bool checked = report_.interruption.empty() && !report_.hung;
  try {
    const cluster_test::job_events events(deploy_->out());
    read_summary(cluster_test::top_output(deploy_->out()));
    // A top process that found problems said which, and exits 1 for them: said once is enough.
    const bool said = !report_.problems.empty();
    report_.pids = events.processes();
    report_.processes = report_.pids.size();
    for (const auto& pid : report_.pids) {
      const auto exit = events.exit_of(pid);
      if (exit && exit->signal == "SIGKILL") ++report_.killed;
      if (!checked) continue;
      // The bridge reports every process's end; the program ends its own by exit 0, exit 3
      // (fail_early) or SIGKILL. A runtime's warning on stderr (a peer that ended before it
      // confirmed what it was sent) is no fault: killed peers are the point.
      if (!exit) {
        problem("process " + pid + " was never reported ended");
      } else if (said && pid == events.top() && exit->status == 1) {
        continue;
      } else if (exit->signal.empty() ? exit->status != 0 && exit->status != 3
                                      : exit->signal != "SIGKILL") {
        problem("process " + pid + " ended by " +
                (exit->signal.empty() ? "exit " + std::to_string(exit->status.value_or(-1))
                                      : exit->signal + " " + exit->reason) +
                "; its stderr: " + excerpt(events.output_of(pid, 2)));
      }
    }
    if (checked)
      for (const auto& e : events.errors()) problem("deploy reported an error: " + e);
  } catch (const std::exception& e) {
    problem(std::string("its output could not be read: ") + e.what());
  }
}

job_report soak_job::finish() {
  read_events();
  const bool said = !report_.problems.empty();
  if (report_.hung) {
    problem("still ran after " + std::to_string(time_limit.count()) +
            " s; its output: " + excerpt(cluster_test::top_output(deploy_->out()), 2000));
  } else if (report_.interruption.empty()) {
    if (deploy_->exit_code() != 0 && !(said && deploy_->exit_code() == 1))
      problem("deploy exited " + std::to_string(deploy_->exit_code().value_or(-1)) + ": " +
              excerpt(deploy_->err()));
    if (!report_.summary) problem("no summary line");
  }
  return report_;
}

}  // namespace soak
