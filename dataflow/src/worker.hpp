#pragma once
// A worker process: runs the driver's tasks one after another on its main thread, and receives
// shuffle blocks from its peers on a thread of its own, so that a peer pushing to it never waits
// for its tasks (two workers pushing to each other cannot deadlock on full channel windows).

#include <constellation/pid.hpp>

#include <cstdint>

namespace constellation::dataflow::detail {

// The function the driver spawns: slot is the worker's place in the job (a replacement takes the
// slot of the worker it replaces), budget its memory budget in bytes. The worker learns how many
// workers the job has from the driver's first command.
void worker_main(pid driver, std::uint32_t slot, std::uint64_t budget);

}  // namespace constellation::dataflow::detail
