#pragma once
// Starting a monitor: re-executing the program so that its init() becomes the monitor of a new
// process; or starting the program's fork server, which forks monitors instead. Used by every node
// agent (the local bridge, a fabric daemon).

#include "posix/unique_fd.hpp"
#include "process/monitor_fds.hpp"
#include "wire/launch_spec.hpp"

#include <sys/types.h>

#include <expected>
#include <string>
#include <vector>

namespace constellation::process {

// The variable that tells init() it runs as a monitor; its value is the descriptor of the spec.
inline constexpr const char* monitor_variable = "CONSTELLATION_MONITOR";

// The numbers a monitor finds its descriptors at, whether it was executed or forked by a fork
// server. A fork server is executed with its socket on spec and /dev/null on the others, so that
// the descriptors its static initialisers open get the same numbers as in an executed monitor.
namespace slot {
inline constexpr int spec = 3, report = 4, control = 5, listener = 6, stdin_fd = 7;
inline constexpr int first_free = 8;
}  // namespace slot

struct program_image {
  std::string path;               // what to execute, e.g. "/proc/self/exe"
  std::vector<std::string> argv;  // argv[0] included
  std::vector<std::string> envp;  // "NAME=value"
};

// Starts path as a monitor for spec, handing it fds (in the caller's numbering; they stay open in
// the caller, which closes them). The new process has /dev/null on 0, 1 and 2 and no other
// descriptor but these. Returns the monitor's OS pid, or why it could not start.
std::expected<pid_t, std::string> launch_monitor(const program_image& image,
                                                 const wire::launch_spec& spec,
                                                 const monitor_fds& fds);

// A close-on-exec memory file holding spec, read from the start: how a spec reaches a monitor.
std::expected<posix::unique_fd, std::string> write_spec_file(const wire::launch_spec& spec);

// Starts path as a fork server (process/fork_server.hpp) serving requests on socket (a Unix
// SOCK_SEQPACKET socket in the caller's numbering; it stays open in the caller, which closes it).
// The server starts as cleanly as a monitor: default signal handling, /dev/null on 0, 1 and 2, the
// socket on the spec slot, /dev/null on the other slots, and nothing else. Returns the server's OS
// pid, or why it could not start.
std::expected<pid_t, std::string> launch_fork_server(const program_image& image, int socket);

// The spec that launch_monitor handed to this process, read and closed; nullopt when this process
// was not started as a monitor. Removes the variable so that user code sees the environment it
// was given.
std::expected<std::pair<wire::launch_spec, monitor_fds>, std::string> take_launch_spec();
bool started_as_monitor();

}  // namespace constellation::process
