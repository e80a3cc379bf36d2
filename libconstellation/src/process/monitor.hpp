#pragma once
// The monitor: the parent of every user process. It captures the process's stdout and stderr
// through pipes, waits for it, and reports its output and exit status to the node agent.

#include "process/monitor_fds.hpp"
#include "wire/launch_spec.hpp"

#include <sys/types.h>

#include <string>

namespace constellation::process {

// Forks the user process. Returns in the child only, with stdout and stderr on the monitor's
// pipes, ready to run user code; the descriptors of fds that the process keeps are returned
// (control, listener). In the monitor it never returns: it watches the child and _exit()s.
// Must be called while the calling process has a single thread.
monitor_fds become_monitor(const wire::launch_spec& spec, monitor_fds fds);

// The name of the cgroups the monitor with OS pid monitor makes for spec's process: what its agent
// clears (process_limits::clear_abandoned) when that monitor dies without removing them.
std::string limits_name(const wire::launch_spec& spec, pid_t monitor);

}  // namespace constellation::process
