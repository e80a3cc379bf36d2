#pragma once
// The registry of end-to-end scenarios. Every file under scenarios/ defines one scenario, named
// like the file, and all of them are linked into the one program e2e_programs, whose main() runs
// the scenario named by argv[1]:
//
//   CONSTELLATION_SCENARIO(hello) {           // main() has called constellation::init()
//     std::cout << "hello\n";
//     return 0;                               // the top process's exit code
//   }
//   CONSTELLATION_SCENARIO_NO_INIT(misuse) {  // main() does not call init(): for misuse tests
//     ...
//   }
//
// Spawned functions are free functions or captureless lambdas in the scenario's file. They run in
// processes that execute main() again with the same argv; init() runs them there and never
// returns, so only the top process runs the scenario's body.

#include <span>
#include <string_view>
#include <vector>

namespace e2e {

using scenario_function = int (*)();

enum class init_first : bool { no, yes };

struct scenario {
  scenario_function run = nullptr;
  init_first init = init_first::yes;
};

// Called by the static registrars the macros define, before main(). Returns true so that it can
// initialise a static. Two scenarios of one name do not link: both define name_scenario().
bool register_scenario(std::string_view name, scenario s) noexcept;

// nullptr when no scenario has that name.
const scenario* find_scenario(std::string_view name);
// Every registered name, sorted.
std::vector<std::string_view> scenario_names();

// main()'s argv, as the program was started (the same in spawned processes).
std::span<char* const> program_arguments();

// Returns once the process of that system pid is stopped (SIGSTOP): scenarios about stopped peers
// start there. The nodes of the test cluster are daemons on this machine, so a deployed process's
// pid is ours to see too. The runner's timeout ends a scenario that waits here for ever.
void wait_until_stopped(long system_pid);

namespace detail {
void set_program_arguments(std::span<char* const> argv);
}

}  // namespace e2e

#define CONSTELLATION_SCENARIO_WITH(name, init_mode)                                 \
  int name##_scenario();                                                             \
  namespace {                                                                        \
  [[maybe_unused]] const bool name##_registered =                                    \
      ::e2e::register_scenario(#name, ::e2e::scenario{&name##_scenario, init_mode}); \
  }                                                                                  \
  int name##_scenario()

#define CONSTELLATION_SCENARIO(name) CONSTELLATION_SCENARIO_WITH(name, ::e2e::init_first::yes)
#define CONSTELLATION_SCENARIO_NO_INIT(name) \
  CONSTELLATION_SCENARIO_WITH(name, ::e2e::init_first::no)
