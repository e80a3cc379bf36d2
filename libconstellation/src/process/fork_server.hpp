#pragma once
// The fork server: a copy of the program, executed once per job and node by its node agent, that
// stops in init() before any thread exists and forks a monitor for each request, so that a spawn
// costs two forks of a small process instead of an exec, dynamic loading and static
// initialisation. The agent side is agent/monitor_starter.hpp; the messages,
// wire/fork_messages.hpp.
//
// A forked monitor continues exactly as an executed one does in init(): its descriptors are put in
// the slots launch_monitor would have used (process/launcher.hpp), its signal handling is the
// default again, and it reads its launch spec, checks the function's identity and forks the user
// process as any monitor does. What it shares with its siblings is what the server computed before
// it forked: see the README's design notes.

namespace constellation::process {

// The variable that tells init() it runs as a fork server; its value is the descriptor of the
// server's socket (the spec slot).
inline constexpr const char* fork_server_variable = "CONSTELLATION_FORK_SERVER";

// Set beside LD_BIND_NOW=1 when the agent added that variable for the server alone: the server
// removes both, so that its children see the environment the program was given.
inline constexpr const char* fork_server_bind_now_variable = "CONSTELLATION_FORK_SERVER_BIND_NOW";

bool started_as_fork_server();

// Serves fork requests until the agent closes its end of the socket, then _exit()s: returns only in
// a forked child, as a process started by launch_monitor would be at init() (the launch spec and
// the handed descriptors in their slots), after it told the agent it exists. Call it while the
// process has a single thread.
void serve_forks();

}  // namespace constellation::process
