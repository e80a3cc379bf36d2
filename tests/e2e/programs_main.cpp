// e2e_programs (the runtime's scenarios) and e2e_dataflow_programs (the dataflow layer's): each
// holds its scenarios in one binary, which keeps the build short. argv[1] names the scenario; the
// rest of argv is the scenario's own.

#include "scenario.hpp"

#include <constellation/constellation.hpp>

#include <cstdio>

int main(int argc, char** argv) {
  // Finding the scenario starts no thread and spawns nothing, so it may precede init(): it has to,
  // since the misuse scenarios must run without it.
  e2e::detail::set_program_arguments({argv, static_cast<std::size_t>(argc)});
  const e2e::scenario* scenario = argc >= 2 ? e2e::find_scenario(argv[1]) : nullptr;
  if (scenario && scenario->init == e2e::init_first::yes) constellation::init();

  if (!scenario) {
    std::fprintf(stderr, "usage: %s SCENARIO [ARGS...]\n", argc > 0 ? argv[0] : "e2e_programs");
    if (argc >= 2) std::fprintf(stderr, "no scenario is named '%s'\n", argv[1]);
    std::fprintf(stderr, "scenarios:");
    for (const auto name : e2e::scenario_names())
      std::fprintf(stderr, " %.*s", static_cast<int>(name.size()), name.data());
    std::fprintf(stderr, "\n");
    return 64;
  }
  return scenario->run();
}
