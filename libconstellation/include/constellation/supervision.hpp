#pragma once
// Supervision: a parent that takes charge of its children's failures, as Erlang's trap_exit does.
// By default any process that fails (a non-zero exit, a signal, a lost node) fails the whole job;
// a supervising parent instead learns of the failure and decides what it means.

#include <constellation/pid.hpp>

namespace constellation::this_process {

// From this call on (until trap_exits(false)), a process this process spawns that fails (non-zero
// exit, killed by a signal, lost with its node) does not fail the job: this process takes charge
// of it (it learns of the failure as channel_errc::died / exited from its channels, or via
// status()). The flag is read by each spawn, so it is decided at spawn time: turning it off later
// does not hand back the children spawned while it was on. The bridge still shows the death as
// usual. Does not block. Throws std::logic_error before init().
void trap_exits(bool on = true);

}  // namespace constellation::this_process

namespace constellation {

enum class process_status { running, exited, died, unknown };

// What this process's node agent knows of p now: running, exited (it ended with an exit code),
// died (killed by a signal, or lost with its node), or unknown (not a process of this job, or the
// agent cannot tell). Asks the agent and waits for its answer, one round trip and no more; a
// process that just failed may still show running until the agent has heard of its end.
// Throws std::logic_error before init().
process_status status(const pid& p);

}  // namespace constellation
