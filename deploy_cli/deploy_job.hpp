#pragma once
// constellation-deploy BRIDGE_ADDR BINARY [ARGS...]: runs a program on the cluster through a bridge
// and shows it as a local run would. The binary travels only when the bridge asks for it (it keeps
// the binaries it was given, by hash). The job's events are shown with the local run's writers
// (report/event_writer.hpp) and its exit code follows the same rule (report/exit_code.hpp).
// Stdin goes to the top process. The first Ctrl-C or SIGTERM ends the job gently, as locally, and
// the output goes on until the job's end; the second ends it at once; a third stops waiting.

#include "cluster/endpoint.hpp"
#include "cluster/secret.hpp"
#include "report/event_writer.hpp"

#include <chrono>
#include <expected>
#include <string>
#include <vector>

namespace constellation::deploy {

// After the second interrupt, how long to wait for the job's end before giving up on it.
inline constexpr auto second_interrupt_wait = std::chrono::seconds(10);

struct deploy_settings {
  cluster::endpoint bridge;
  cluster::cluster_secret secret;
  report::output_format format = report::output_format::human;
  std::string binary;             // as given: also the program's argv[0]
  std::vector<std::string> args;  // argv[1...]
  std::vector<std::string> env;   // "NAME=value", the program's environment
};

// Runs the job to its end and returns the command's exit code: the job's (exit_code_rule), or,
// when it could not run or the bridge was lost, as run_problem.hpp says. Blocks; shows all.
int run_deploy(const deploy_settings& settings);

// The bytes of the binary at path, for hashing and upload; the error names the file.
std::expected<std::string, std::string> read_binary(const std::string& path);

}  // namespace constellation::deploy
