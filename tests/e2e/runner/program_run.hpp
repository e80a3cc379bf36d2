#pragma once
// Running a scenario's program the way a user runs it on this machine: as a plain command, with
// the bridge's stdin, stdout and stderr on pipes.

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace e2e {

enum class stop_kind {
  sigterm,  // SIGTERM to the command (the bridge) alone, as from kill
  ctrl_c,   // SIGINT to the command's process group, as a terminal sends on Ctrl-C
};

struct run_request {
  std::filesystem::path program;
  std::vector<std::string> args;  // after argv[0]
  // The whole environment of the command, as NAME=value.
  std::vector<std::string> environment;
  std::string stdin_bytes;  // written to the command's stdin, which is then closed
  std::chrono::milliseconds timeout{30'000};
  // Given each new piece of the command's stdout; once it returns true, the command is stopped
  // as stop says. Empty: never.
  std::function<bool(std::string_view)> terminate_when;
  stop_kind stop = stop_kind::sigterm;
};

struct run_result {
  std::string out, err;
  std::optional<int> exit_code;  // exited with a code
  int signal = 0;                // or was killed by this signal
  bool timed_out = false;        // the timeout killed its process group
  bool terminated = false;       // terminate_when fired
  std::chrono::milliseconds duration{0};
};

// Runs the command in its own process group; on timeout, kills that group with SIGKILL. Returns
// when the command has exited and its stdout and stderr are closed (or, after a timeout, a short
// time later). Throws std::system_error when the command cannot be started.
run_result run_locally(const run_request& request);

}  // namespace e2e
