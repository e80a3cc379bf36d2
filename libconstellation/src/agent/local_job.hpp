#pragma once
// A job run on this machine: the bridge process is also the job's only node agent. It starts a
// monitor for every spawn, gathers every process's output and exit, shows them, and ends when the
// last process has exited.

#include "agent/monitor_starter.hpp"
#include "process/launcher.hpp"
#include "report/event_writer.hpp"
#include "report/exit_code.hpp"
#include "wire/launch_spec.hpp"

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <string>

namespace constellation::agent {

struct job_settings {
  std::uint64_t job = 0;
  std::string secret;
  process::program_image image;
  bool enforce_limits = false;
  spawn_method method = spawn_method::fork_server;
};

class local_job {
 public:
  local_job(job_settings settings, std::unique_ptr<report::event_writer> writer);
  ~local_job();
  local_job(const local_job&) = delete;
  local_job& operator=(const local_job&) = delete;

  // The top process's monitor was forked already; these are the agent's ends of its sockets.
  void adopt_top(const wire::launch_spec& spec, pid_t monitor, int report_fd, int control_fd);

  // Runs until every process has exited (or Ctrl-C / SIGTERM ended them); the job's exit code.
  int run();

 private:
  struct state;
  std::unique_ptr<state> state_;
};

}  // namespace constellation::agent
