#pragma once
// What a program reports in its recce: run with CONSTELLATION_RECCE=1, constellation::init() prints
// the resources the top process asks for as one JSON line, {"mem":104857600,"cpu":0.0625}, and
// exits 0 (see resources.hpp, to_json). The bridge needs them to ask the master for room.
//
// Pure functions, no I/O: recce_process.hpp runs the program and hands its outcome to judge_recce.

#include <constellation/resources.hpp>

#include "report/process_event.hpp"

#include <chrono>
#include <expected>
#include <optional>
#include <string>
#include <string_view>

namespace constellation::bridge {

// The resources on the last non-empty line of a recce's stdout (earlier lines may come from static
// constructors that print before main()). The error says what was wrong, in words a user who never
// heard of the recce can act on, e.g. "it printed nothing" or "it printed \"hello\"".
std::expected<resources, std::string> parse_recce_output(std::string_view out);

// How a recce ended, as recce_process saw it.
struct recce_run {
  std::string out;                            // stdout, up to the bound
  std::string err;                            // the start of stderr
  std::optional<report::exit_status> status;  // none when it was killed by the bridge
  bool timed_out = false;
  bool too_much_output = false;
  std::chrono::milliseconds time_limit{10'000};
};

// The resources, or the problem to show the user, naming what happened and the likely cause
// ("does main() call constellation::init() first?"). Resources that parse are taken whatever the
// exit status: a static destructor that crashes after init() printed does not hide them.
std::expected<resources, std::string> judge_recce(const recce_run& run);

}  // namespace constellation::bridge
