#pragma once
// How constellation-bridge ends, as its supervisor (the master's fabric daemon) reads it.

namespace constellation::cluster {

// The bridge cannot listen on its address (taken, or not one of the machine's): the supervisor
// says so in those words rather than as a crash, and retries later.
inline constexpr int bridge_cannot_listen_status = 3;

}  // namespace constellation::cluster
