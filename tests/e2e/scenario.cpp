#include "scenario.hpp"

#include <chrono>
#include <fstream>
#include <map>
#include <string>
#include <thread>

namespace e2e {

namespace {

// The state letter of /proc/PID/stat ('T' for stopped), '?' when the process is not there.
char state_of(long system_pid) {
  std::ifstream stat("/proc/" + std::to_string(system_pid) + "/stat");
  std::string line;
  std::getline(stat, line);
  const auto close = line.rfind(')');
  return close == std::string::npos || close + 2 >= line.size() ? '?' : line[close + 2];
}

// A function-local static, so that registrars in other files may run before this file's statics.
std::map<std::string_view, scenario>& registry() {
  static std::map<std::string_view, scenario> scenarios;
  return scenarios;
}

std::span<char* const>& arguments() {
  static std::span<char* const> argv;
  return argv;
}

}  // namespace

bool register_scenario(std::string_view name, scenario s) noexcept {
  try {
    registry().emplace(name, s);
  } catch (...) {
    // Only allocation can fail here, before main(); the scenario is then simply not found.
  }
  return true;
}

const scenario* find_scenario(std::string_view name) {
  const auto it = registry().find(name);
  return it == registry().end() ? nullptr : &it->second;
}

std::vector<std::string_view> scenario_names() {
  std::vector<std::string_view> names;
  for (const auto& [name, s] : registry()) names.push_back(name);
  return names;
}

std::span<char* const> program_arguments() {
  return arguments();
}

void detail::set_program_arguments(std::span<char* const> argv) {
  arguments() = argv;
}

void wait_until_stopped(long system_pid) {
  while (state_of(system_pid) != 'T') std::this_thread::sleep_for(std::chrono::milliseconds(5));
}

}  // namespace e2e
