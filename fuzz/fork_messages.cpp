// The records between a node agent and a fork server (wire/fork_messages.hpp). Only the two hold
// their socket pair, but a fork server that went wrong must not take the agent down with it.

#include "wire/fork_messages.hpp"
#include "message_harness.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace constellation::wire;
  constellation::fuzz::decode_stream<fork_request, forked, fork_refused>(data, size);
  return 0;
}
