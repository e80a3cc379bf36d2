#pragma once
// What a scenario's <name>.expect.json says the run must look like. The file's format is described
// in tests/e2e/README.md; load_expectation() rejects unknown keys, so that a misspelt check fails
// loudly instead of passing silently. One file serves both modes: a scenario may run locally only,
// or expect something else where a deployed run legitimately differs, each with its reason.

#include <chrono>
#include <cstdint>
#include <expected>
#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace e2e {

// The checks on the bytes of one stream (stdout or stderr). All given checks must hold.
struct output_expectation {
  std::optional<std::string> regex;   // ECMAScript, must match the whole output
  std::optional<std::string> hex;     // the exact bytes, two lowercase hex digits each
  std::optional<std::uint64_t> size;  // in bytes
  std::optional<std::string> sha256;  // of the bytes, lowercase hex
};

// One process: how it ended, what it wrote, and which children it spawned.
struct process_expectation {
  std::optional<int> status;          // exit code; exactly one of status and signal is given
  std::optional<std::string> signal;  // "SIGABRT"
  std::optional<std::string> reason;  // regex over the exit event's reason (absent: any reason)
  // Regex over the process's progress reports, one line each (process_node::progress).
  std::optional<std::string> progress;
  std::optional<bool> trapped;  // whether its spawn event says "trapped" (absent: not checked)
  output_expectation out[2];    // [0] stdout, [1] stderr
  // Absent: the children are not checked. Present: the children, in any order; each entry stands
  // for `count` children.
  std::optional<std::vector<process_expectation>> children;
  int count = 1;
};

enum class output_format { json, human };

// Where the program runs: on this machine as a plain command, or deployed with constellation-deploy
// to a cluster.
enum class run_mode { local, cluster };

struct expectation {
  int exit_code = 0;
  output_format format = output_format::json;
  std::vector<std::string> args;                         // after the scenario name
  std::vector<std::pair<std::string, std::string>> env;  // set for the program
  std::string stdin_bytes;                               // the bridge's stdin, then EOF
  std::optional<std::string> terminate_after_output;     // regex searched in stdout
  bool terminate_with_ctrl_c = false;                    // else SIGTERM to the bridge
  std::chrono::seconds timeout{30};
  std::optional<process_expectation> top;  // json format: the tree of processes
  output_expectation command_out[2];       // human format: the command's own stdout, stderr
  // Empty when the scenario runs in the mode asked for; else why it runs locally only.
  std::string not_in_this_mode;
};

// The expectation in file for a run in mode: in cluster mode, the top-level keys of its "cluster"
// object replace those of the file. Both modes' expectations are checked whatever the mode, so
// that a mistake in either fails at once. The error names the file and the offending key.
std::expected<expectation, std::string> load_expectation(const std::filesystem::path& file,
                                                         run_mode mode);

}  // namespace e2e
