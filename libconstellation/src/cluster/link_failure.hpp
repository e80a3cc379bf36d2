#pragma once
// Why an authenticated link (authenticated_link.hpp) did not come up: a cause for code to branch
// on, and words for people. A client tells a daemon that is not there from one that turned it away
// by the cause, never by the words, which may change.

#include "wire/handshake.hpp"

#include <string>

namespace constellation::cluster {

struct link_failure {
  enum class cause {
    cannot_connect,  // TCP did not connect: nothing listens there, or it is out of reach
    lost,            // the connection failed during the handshake
    // The peer closed during the handshake. A server that refuses a client says nothing and
    // closes, so this is what a client sees when the server holds another secret or is a daemon
    // of another kind; and what a server sees when a client gave up.
    closed_by_peer,
    timed_out,    // no handshake within its time limit
    crowded_out,  // server side: the oldest of too many waiting to authenticate, closed for room
    refused,      // the peer's handshake failed this side's checks; refusal says how
  };
  cause why;
  // The particulars, when there are any: the system's words for cannot_connect and lost
  // ("Connection refused"), the handshake's for refused, the bound for timed_out and crowded_out.
  std::string detail = {};
  // How the handshake failed; meaningful only when why is refused.
  wire::handshake_error refusal = wire::handshake_error::malformed;

  // The one sentence for people and logs: "cannot connect: Connection refused".
  std::string text() const;
};

// A refusal for the handshake's error e, its text from wire::to_string(e).
link_failure refused_handshake(wire::handshake_error e);

}  // namespace constellation::cluster
