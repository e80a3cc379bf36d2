#pragma once
// Starting a monitor: re-executing the program so that its init() becomes the monitor of a new
// process. Used by every node agent (the local bridge, a fabric daemon).

#include "process/launch_spec.hpp"

#include <sys/types.h>

#include <expected>
#include <string>
#include <vector>

namespace constellation::process {

// The variable that tells init() it runs as a monitor; its value is the descriptor of the spec.
inline constexpr const char* monitor_variable = "CONSTELLATION_MONITOR";

struct program_image {
  std::string path;                // what to execute, e.g. "/proc/self/exe"
  std::vector<std::string> argv;   // argv[0] included
  std::vector<std::string> envp;   // "NAME=value"
};

// Starts path as a monitor for spec, handing it fds (in the caller's numbering; they stay open in
// the caller, which closes them). The new process has /dev/null on 0, 1 and 2 and no other
// descriptor but these. Returns the monitor's OS pid, or why it could not start.
std::expected<pid_t, std::string> launch_monitor(const program_image& image, const launch_spec& spec,
                                                 const monitor_fds& fds);

// The spec that launch_monitor handed to this process, read and closed; nullopt when this process
// was not started as a monitor. Removes the variable so that user code sees the environment it
// was given.
std::expected<std::pair<launch_spec, monitor_fds>, std::string> take_launch_spec();
bool started_as_monitor();

}  // namespace constellation::process
