#pragma once
// The command line of constellation-deploy, read without side effects so that tests can call it.
//
//   constellation-deploy [--format human|json] [--secret-file F] BRIDGE_ADDR BINARY [--] [ARGS...]
//   constellation-deploy status [--format human|json] [--secret-file F] BRIDGE_ADDR
//   constellation-deploy jobs [--format human|json] [--secret-file F] BRIDGE_ADDR
//   constellation-deploy kill [--format human|json] [--secret-file F] BRIDGE_ADDR JOB
//
// Options come before BINARY; everything after BINARY is the program's (one "--" right after
// BINARY is dropped, so that ARGS may start with a dash either way).

#include "report/event_writer.hpp"

#include <expected>
#include <optional>
#include <string>
#include <vector>

namespace constellation::deploy {

inline constexpr const char* deploy_usage =
    "usage: constellation-deploy [--format human|json] [--secret-file F] BRIDGE_ADDR BINARY [--] "
    "[ARGS...]\n"
    "       constellation-deploy status [--format human|json] [--secret-file F] BRIDGE_ADDR\n"
    "       constellation-deploy jobs [--format human|json] [--secret-file F] BRIDGE_ADDR\n"
    "       constellation-deploy kill [--format human|json] [--secret-file F] BRIDGE_ADDR JOB\n"
    "  BRIDGE_ADDR      the bridge's address, e.g. 127.0.0.11:7000\n"
    "  BINARY [ARGS]    the program to run on the cluster, and its arguments\n"
    "  status           the nodes: up or down, memory and CPU in use, processes\n"
    "  jobs             the jobs running and the last ones that ended: id, state, processes, age\n"
    "  kill JOB         end a running job as Ctrl-C on its client would (JOB: its id, or enough\n"
    "                   of its first digits to name one)\n"
    "  --format F       human (default, or CONSTELLATION_FORMAT) or json: the same output as a "
    "local run\n"
    "  --secret-file F  the cluster's secret (default: CONSTELLATION_SECRET_FILE, else "
    "~/.constellation/secret)\n";

struct deploy_options {
  enum class command { deploy, status, jobs, kill };
  command what = command::deploy;
  report::output_format format = report::output_format::human;
  std::optional<std::string> secret_file;
  std::string bridge;
  std::string binary;             // deploy only
  std::string job;                // kill only
  std::vector<std::string> args;  // deploy only
  bool help = false;              // -h or --help: print deploy_usage and exit 0
};

// The options of args (argv without the program name). environment_format is the value of
// CONSTELLATION_FORMAT (nullptr when unset), the default of --format as in a local run.
std::expected<deploy_options, std::string> parse_deploy_options(
    const std::vector<std::string>& args, const char* environment_format);

}  // namespace constellation::deploy
