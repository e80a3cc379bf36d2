#pragma once
// The processes a round spawns: the functions they run, as spawn takes them.

#include "round_plan.hpp"

#include <constellation/pid.hpp>
#include <constellation/resources.hpp>

namespace soak {

// What each process of a round asks for: small, so that a few jobs fit the test cluster at once.
inline constexpr constellation::resources child_resources{.mem = 48 * constellation::MiB,
                                                          .cpu = 1.0 / 16};

// Sends plan.count numbered messages to `to`, noting to parent (sender_note) how many returned,
// and ends as plan.fate says.
void send_numbered(constellation::pid parent, constellation::pid to, sender_plan plan);

// Reads the round's senders from parent (a std::vector<pid>), receives from all of them at once
// until each has ended, checking that each one's messages come 0, 1, 2, ... exactly once, and sends
// parent its receiver_account. Raises SIGKILL after kill_after messages.
void receive_round(constellation::pid parent, std::uint64_t kill_after);

}  // namespace soak
