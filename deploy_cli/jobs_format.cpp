#include "jobs_format.hpp"

#include "text_table.hpp"

#include <nlohmann/json.hpp>

#include <cstdio>
#include <vector>

namespace constellation::deploy {

namespace {

std::string hex_id(std::uint64_t job) {
  char text[24];
  std::snprintf(text, sizeof text, "%016llx", static_cast<unsigned long long>(job));
  return text;
}

std::string command_line(const std::vector<std::string>& argv) {
  std::string line;
  for (const auto& a : argv) line += (line.empty() ? "" : " ") + a;
  return line;
}

std::string dump(const nlohmann::ordered_json& j) {
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

}  // namespace

std::string format_duration(std::int64_t milliseconds) {
  const std::int64_t s = std::max<std::int64_t>(milliseconds, 0) / 1000;
  const auto two = [](std::int64_t big, const char* big_unit, std::int64_t small,
                      const char* small_unit) {
    return std::to_string(big) + big_unit +
           (small ? " " + std::to_string(small) + small_unit : std::string());
  };
  if (s < 60) return std::to_string(s) + "s";
  if (s < 3600) return two(s / 60, "m", s % 60, "s");
  if (s < 86400) return two(s / 3600, "h", s % 3600 / 60, "m");
  return two(s / 86400, "d", s % 86400 / 3600, "h");
}

std::string format_jobs_table(const wire::jobs_reply& jobs) {
  if (jobs.jobs.empty()) return "(no jobs)\n";
  std::vector<std::vector<std::string>> rows{
      {"JOB", "STATE", "PROCESSES", "AGE", "CLIENT", "PROGRAM"}};
  for (const auto& j : jobs.jobs) {
    std::string program = command_line(j.argv);
    if (!j.outcome.empty()) program += "  (" + j.outcome + ")";
    rows.push_back(
        {hex_id(j.job), j.state, std::to_string(j.running) + " of " + std::to_string(j.processes),
         format_duration(jobs.now_ms - j.started_ms), j.client.empty() ? "-" : j.client, program});
  }
  return format_table(rows);
}

std::string format_jobs_json(const wire::jobs_reply& jobs) {
  nlohmann::ordered_json list = nlohmann::ordered_json::array();
  for (const auto& j : jobs.jobs) {
    nlohmann::ordered_json o;
    o["job"] = hex_id(j.job);
    o["state"] = j.state;
    o["running"] = j.running;
    o["processes"] = j.processes;
    o["age_seconds"] = static_cast<double>(jobs.now_ms - j.started_ms) / 1000.0;
    if (j.ended_ms) o["run_seconds"] = static_cast<double>(j.ended_ms - j.started_ms) / 1000.0;
    o["client"] = j.client;
    o["argv"] = j.argv;
    o["outcome"] = j.outcome;
    list.push_back(std::move(o));
  }
  nlohmann::ordered_json out;
  out["jobs"] = std::move(list);
  return dump(out);
}

std::string format_kill_text(const wire::kill_job_reply& reply) {
  return "ending job " + hex_id(reply.job) + "\n";
}

std::string format_kill_json(const wire::kill_job_reply& reply) {
  nlohmann::ordered_json out;
  out["ending"] = hex_id(reply.job);
  return dump(out);
}

}  // namespace constellation::deploy
