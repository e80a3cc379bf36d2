#pragma once
// The descriptors a monitor starts with (launcher.hpp hands them over, monitor.hpp uses them).

namespace constellation::process {

// The descriptors a monitor is handed, in the monitor's own numbering.
struct monitor_fds {
  int report = -1;    // to the node agent: started, output, exit
  int control = -1;   // for the process: spawn requests to the node agent
  int listener = -1;  // for the process: where its channel peers connect
  int stdin_fd = -1;  // the process's stdin; -1 for /dev/null
};

}  // namespace constellation::process
