#pragma once
// One round of a soak job, run by the top process: spawns a receiver and its senders as the plan
// says, gathers what each says and how each ends, and holds the receiver's account against the
// senders' notes.

#include "round_plan.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace soak {

struct round_outcome {
  std::uint64_t sent = 0;        // sends that returned, as the senders noted
  std::uint64_t received = 0;    // messages the receiver took in order
  std::uint64_t unverified = 0;  // sends that returned to a receiver that was then killed
  // Sends that returned in a sender then killed, which never arrived: a send's promise holds when
  // its process exits, not when it is killed, which loses what the runtime had not yet written.
  std::uint64_t lost_to_kills = 0;
  std::vector<std::string> problems;
};

// Blocks until every process of the round has ended, waiting at most 60 s for each word.
round_outcome run_round(const round_plan& plan);

}  // namespace soak
