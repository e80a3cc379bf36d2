#include "scenario.hpp"

#include <map>

namespace e2e {

namespace {

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

}  // namespace e2e
