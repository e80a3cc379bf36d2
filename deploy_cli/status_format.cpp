#include "status_format.hpp"

#include "text_table.hpp"

#include <constellation/resources.hpp>

#include <nlohmann/json.hpp>

#include <charconv>
#include <vector>

namespace constellation::deploy {

namespace {

// The shortest text that reads back as the same number of cores: 0.0625, 2, 0.1.
std::string format_cores(double cores) {
  char text[32];
  const auto [end, ec] = std::to_chars(text, text + sizeof text, cores);
  return ec == std::errc{} ? std::string(text, end) : "?";
}

}  // namespace

std::string format_status_table(const wire::status_reply& status) {
  std::vector<std::vector<std::string>> rows{
      {"NODE", "STATE", "MEMORY USED / TOTAL", "CPU USED / TOTAL", "PROCESSES"}};
  for (const auto& node : status.nodes) {
    std::string processes = std::to_string(node.processes.size());
    if (!node.processes.empty()) processes += ":";
    for (const auto& p : node.processes) processes += " " + p;
    rows.push_back({node.address, node.up ? "up" : "down",
                    format_bytes(node.mem_used) + " / " + format_bytes(node.mem_total),
                    format_cores(node.cpu_used) + " / " + format_cores(node.cpu_total), processes});
  }
  std::string out = format_table(rows);
  if (status.nodes.empty()) out += "(the master knows no nodes)\n";
  out += "jobs: " + std::to_string(status.jobs) + "\n";
  return out;
}

std::string format_status_json(const wire::status_reply& status) {
  nlohmann::ordered_json nodes = nlohmann::ordered_json::array();
  for (const auto& node : status.nodes) {
    nlohmann::ordered_json n;
    n["address"] = node.address;
    n["up"] = node.up;
    n["mem_used"] = node.mem_used;
    n["mem_total"] = node.mem_total;
    n["cpu_used"] = node.cpu_used;
    n["cpu_total"] = node.cpu_total;
    n["processes"] = node.processes;
    nodes.push_back(std::move(n));
  }
  nlohmann::ordered_json j;
  j["nodes"] = std::move(nodes);
  j["jobs"] = status.jobs;
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

}  // namespace constellation::deploy
