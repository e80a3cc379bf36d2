#include "soak_tally.hpp"

#include <cstdio>
#include <cstdlib>
#include <ostream>
#include <random>
#include <string>

namespace soak {

void soak_tally::add(const job_report& r) {
  ++jobs;
  if (r.hung)
    ++hung;
  else if (!r.interruption.empty())
    ++interrupted;
  if (!r.problems.empty())
    ++failed;
  else if (!r.hung && r.interruption.empty())
    ++clean;
  rounds += r.rounds;
  senders += r.senders;
  processes += r.processes;
  killed += r.killed;
  sent += r.sent;
  received += r.received;
  unverified += r.unverified;
  lost_to_kills += r.lost_to_kills;
  pids.insert(r.pids.begin(), r.pids.end());
}

namespace {

std::uint64_t number_from(const char* name, std::uint64_t otherwise) {
  const char* text = std::getenv(name);
  return text && *text ? std::stoull(text) : otherwise;
}

std::string mib(std::uint64_t bytes) {
  char text[32];
  std::snprintf(text, sizeof text, "%.1f MiB", static_cast<double>(bytes) / (1 << 20));
  return text;
}

void print_tally(std::ostream& out, const char* title, const soak_tally& t) {
  out << title << ": " << t.jobs << " jobs (" << t.clean << " clean, " << t.interrupted
      << " interrupted by the driver, " << t.hung << " hung, " << t.failed << " with problems), "
      << t.rounds << " rounds\n"
      << "  processes: " << t.processes << " spawned (top processes included), " << t.killed
      << " killed by SIGKILL\n"
      << "  messages: " << t.sent << " sends returned, " << t.received << " received in order, "
      << t.unverified << " to receivers killed later (not checked)\n"
      << "  sends that returned in a sender then killed and never arrived: " << t.lost_to_kills
      << " (allowed: a send's promise holds through exit, not SIGKILL)\n";
}

}  // namespace

soak_settings settings_from_environment() {
  soak_settings s;
  s.duration = std::chrono::seconds(number_from("SOAK_SECONDS", 600));
  s.warm_up = std::chrono::seconds(number_from("SOAK_WARMUP_SECONDS", 30));
  s.seed = number_from("SOAK_SEED", std::random_device{}());
  s.jobs_at_once = number_from("SOAK_JOBS", 2);
  return s;
}

void print_report(std::ostream& out, const soak_settings& settings, const soak_tally& warm_up,
                  const soak_tally& soak, const std::vector<daemon_figures>& before,
                  const std::vector<daemon_figures>& after,
                  const std::vector<std::string>& violations) {
  out << "\n==== soak report: " << settings.duration.count() << " s after a warm-up of "
      << settings.warm_up.count() << " s, SOAK_SEED=" << settings.seed << ", "
      << settings.jobs_at_once << " jobs at a time ====\n";
  print_tally(out, "warm-up", warm_up);
  print_tally(out, "soak", soak);
  out << "daemons (quiet, after the warm-up -> after the soak; allowed: +" << descriptor_allowance
      << " descriptors, +" << mib(resident_allowance_floor) << " or +25% resident):\n";
  for (const auto& b : before) {
    char line[200];
    const daemon_figures* a = nullptr;
    for (const auto& d : after)
      if (d.name == b.name) a = &d;
    std::snprintf(line, sizeof line,
                  "  %-13s pid %-7d descriptors %4zu -> %-4s resident %10s -> %s\n", b.name.c_str(),
                  b.pid, b.descriptors, a ? std::to_string(a->descriptors).c_str() : "gone",
                  mib(b.resident).c_str(), a ? mib(a->resident).c_str() : "gone");
    out << line;
  }
  out << "violations: " << violations.size() << "\n";
  for (const auto& v : violations) out << "  " << v << "\n";
  out << (violations.empty() ? "SOAK PASSED" : "SOAK FAILED") << std::endl;
}

}  // namespace soak
