#pragma once
// Finding the processes of a run that outlived it. The runner gives the command a unique
// environment entry, which every process of the job inherits; any live process that still carries
// it after the command exited is a leftover.

#include <sys/types.h>

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

namespace e2e {

struct marked_process {
  pid_t os_pid = 0;
  std::string command_line;  // arguments joined by spaces
};

// Processes alive now whose environment holds entry ("NAME=value"). A zombie shows no
// environment, so it does not count: it has already ended.
std::vector<marked_process> find_marked_processes(std::string_view entry);

// Waits up to patience for the marked processes to end; kills those still alive with SIGKILL and
// returns them.
std::vector<marked_process> kill_leftovers(std::string_view entry,
                                           std::chrono::milliseconds patience);

}  // namespace e2e
