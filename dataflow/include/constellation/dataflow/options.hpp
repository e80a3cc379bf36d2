#pragma once
// How a dataflow context is set up, and the one error its actions throw.

#include <constellation/resources.hpp>

#include <cstddef>
#include <stdexcept>
#include <string>

namespace constellation::dataflow {

struct options {
  // Worker processes. 0: as many as there is room for, up to 1024. Natively, one per core this
  // process may run on (a worker asking for more than a core takes that many), as far as the
  // machine's memory holds worker.mem each. Deployed, as many as the master places now, by the
  // nodes' free memory and CPU; at least one, waiting a bounded time (a minute) for room for it.
  // The context throws job_error when it can start no worker: a request larger than the machine
  // or than every node, or no room within that minute.
  std::size_t workers = 0;
  // Each worker's request, and its memory budget: shuffles, sorts and groups beyond it spill to
  // local disk.
  resources worker = {.mem = 1 * GiB, .cpu = 1};
  // Partitions of sources and of every wide operation's output. 0: two per worker.
  std::size_t partitions = 0;
  // A live progress line per running action, drawn by the bridge on a terminal.
  bool progress = true;
};

// Thrown by actions (and by text_file for a missing path). what() names the action, the stage and
// the partition that failed, then the cause. The context stays usable.
struct job_error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

}  // namespace constellation::dataflow
