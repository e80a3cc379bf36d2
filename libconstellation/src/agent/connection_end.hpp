#pragma once
// How a frame connection ended, as its close handler is told: a cause for code to branch on, and
// words for people. A daemon tells a peer that left from one that failed by the cause, never by
// the words, which may change.

#include <string>

namespace constellation::agent {

struct connection_end {
  enum class cause {
    peer_closed,  // the peer closed its end, after the frames it sent: an orderly end
    failed,       // the socket failed (reset, timed out, ...)
    malformed,    // the peer sent bytes that are no frame, or a frame beyond the bound
  };
  cause why;
  // For people: "closed by the peer", the system's words for the failure, or what did not parse.
  std::string text;
};

}  // namespace constellation::agent
